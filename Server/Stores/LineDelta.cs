using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DiffPlex;
using DiffPlex.Chunkers;

namespace NoteSync.Server.Stores;

/// <summary>
/// A replaced version's text kept as the line edits that turn a newer version's text back into it
/// (docs/architecture.md, History): a JSON array whose items are <c>[line, count]</c>, that many lines
/// of the newer text from that line (0-based) on; <c>[line, offset, length]</c>, that many characters
/// (UTF-16 code units) of the newer text from <c>offset</c> characters into that line on (schema 7);
/// or a string, text of its own. Lines keep their own endings, so the text comes back exact to the
/// character. Notes are mostly edited a line at a time, and mostly a word of a line: a changed line
/// keeps as its own text only what differs from the line that replaced it, so a version costs tens of
/// bytes instead of its whole text.
/// </summary>
internal static class LineDelta
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Storage, never HTML: keep non-ASCII text as it is rather than \u-escaping it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>
    /// The most lines either text may have for a delta to be made. The diff runs in the store's one
    /// writer, and its cost grows with the product of the two texts' lines when they differ a lot (a
    /// note pasted over whole): four times the lines, sixteen times the steps. Notes past this keep
    /// their versions whole (the bound is reasoned, not measured: docs/benchmarks.md has no run of it).
    /// </summary>
    public const int MaxLines = 1024;

    // A run of characters a changed stretch shares with the newer text's is copied by reference only from
    // this length on: a reference costs about ten bytes of JSON.
    private const int MinCharCopy = 12;

    /// <summary>
    /// The delta that rebuilds <paramref name="older"/> from <paramref name="newer"/>, or null when it
    /// would be no smaller than <paramref name="older"/> itself (keep the text whole then). Checked by
    /// applying it before it is returned, so a delta that is returned gives back exactly <paramref name="older"/>.
    /// </summary>
    public static string? Encode(string newer, string older)
    {
        if (LinesOf(newer) > MaxLines || LinesOf(older) > MaxLines)
        {
            return null;
        }

        var diff = Differ.Instance.CreateDiffs(newer, older, ignoreWhiteSpace: false, ignoreCase: false, LineEndingsPreservingChunker.Instance);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            var at = 0;
            foreach (var block in diff.DiffBlocks)
            {
                WriteCopy(writer, at, block.DeleteStartA - at);
                if (block.InsertCountB > 0)
                {
                    var own = string.Concat(diff.PiecesNew.Skip(block.InsertStartB).Take(block.InsertCountB));
                    var replacedBy = string.Concat(diff.PiecesOld.Skip(block.DeleteStartA).Take(block.DeleteCountA));
                    WriteChanged(writer, block.DeleteStartA, replacedBy, own);
                }

                at = block.DeleteStartA + block.DeleteCountA;
            }

            WriteCopy(writer, at, diff.PiecesOld.Count - at);
            writer.WriteEndArray();
        }

        if (buffer.Length >= Encoding.UTF8.GetByteCount(older))
        {
            return null;
        }

        var delta = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        return string.Equals(Apply(newer, delta), older, StringComparison.Ordinal) ? delta : null;
    }

    /// <summary>The older text <paramref name="delta"/> was made for, from the <paramref name="newer"/> text it was made against.</summary>
    public static string Apply(string newer, string delta)
    {
        var lines = LineEndingsPreservingChunker.Instance.Chunk(newer);
        int[]? starts = null;
        var text = new StringBuilder();
        using var document = JsonDocument.Parse(delta);
        foreach (var item in document.RootElement.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                text.Append(item.GetString());
                continue;
            }

            var from = item[0].GetInt32();
            if (item.GetArrayLength() == 3)
            {
                starts ??= LineStarts(lines);
                text.Append(newer, starts[from] + item[1].GetInt32(), item[2].GetInt32());
                continue;
            }

            var count = item[1].GetInt32();
            for (var i = from; i < from + count; i++)
            {
                text.Append(lines[i]);
            }
        }

        return text.ToString();
    }

    private static int LinesOf(string text) => text.AsSpan().Count('\n');

    private static int[] LineStarts(IReadOnlyList<string> lines)
    {
        var starts = new int[lines.Count];
        for (var i = 1; i < lines.Count; i++)
        {
            starts[i] = starts[i - 1] + lines[i - 1].Length;
        }

        return starts;
    }

    // The lines of the older text where the newer has replacedBy (from line `line` of the newer on; empty
    // where the older text's lines are new): what both share at the start and at the end is copied.
    private static void WriteChanged(Utf8JsonWriter writer, int line, string replacedBy, string own)
    {
        var prefix = own.AsSpan().CommonPrefixLength(replacedBy);
        var suffix = CommonSuffixLength(own.AsSpan(prefix), replacedBy.AsSpan(prefix));

        // A surrogate pair stays whole in the text of its own: JSON cannot hold half of one.
        if (prefix > 0 && char.IsHighSurrogate(own[prefix - 1]))
        {
            prefix--;
        }

        if (suffix > 0 && char.IsLowSurrogate(own[own.Length - suffix]))
        {
            suffix--;
        }

        prefix = prefix >= MinCharCopy ? prefix : 0;
        suffix = suffix >= MinCharCopy ? suffix : 0;
        if (prefix > 0)
        {
            WriteChars(writer, line, 0, prefix);
        }

        if (own.Length - prefix - suffix > 0)
        {
            writer.WriteStringValue(own.AsSpan(prefix, own.Length - prefix - suffix));
        }

        if (suffix > 0)
        {
            WriteChars(writer, line, replacedBy.Length - suffix, suffix);
        }
    }

    private static int CommonSuffixLength(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var length = 0;
        while (length < a.Length && length < b.Length && a[^(length + 1)] == b[^(length + 1)])
        {
            length++;
        }

        return length;
    }

    private static void WriteChars(Utf8JsonWriter writer, int line, int offset, int length)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(line);
        writer.WriteNumberValue(offset);
        writer.WriteNumberValue(length);
        writer.WriteEndArray();
    }

    private static void WriteCopy(Utf8JsonWriter writer, int from, int count)
    {
        if (count <= 0)
        {
            return;
        }

        writer.WriteStartArray();
        writer.WriteNumberValue(from);
        writer.WriteNumberValue(count);
        writer.WriteEndArray();
    }
}
