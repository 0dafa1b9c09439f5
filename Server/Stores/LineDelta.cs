using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DiffPlex;
using DiffPlex.Chunkers;

namespace NoteSync.Server.Stores;

/// <summary>
/// A replaced version's text kept as the line edits that turn a newer version's text back into it
/// (docs/architecture.md, History): a JSON array whose items are either <c>[line, count]</c>, that
/// many lines of the newer text from that line (0-based) on, or a string, text of its own. Lines keep
/// their own endings, so the text comes back exact to the character. Notes are mostly edited a line
/// at a time, so a version costs tens of bytes instead of its whole text.
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
                    writer.WriteStringValue(string.Concat(diff.PiecesNew.Skip(block.InsertStartB).Take(block.InsertCountB)));
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
            var count = item[1].GetInt32();
            for (var i = from; i < from + count; i++)
            {
                text.Append(lines[i]);
            }
        }

        return text.ToString();
    }

    private static int LinesOf(string text) => text.AsSpan().Count('\n');

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
