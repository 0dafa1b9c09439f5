using DiffPlex;
using DiffPlex.Chunkers;

namespace NoteSync.Shared.Merge;

/// <summary>
/// A line-based three-way merge of two texts edited from a common one (edits that did not see each other, docs/protocol.md §2), as
/// <c>diff3</c> and git do it: each side's changes against the common text come from DiffPlex's line
/// diff; where only one side changed a stretch of lines, that side's lines are taken; where both
/// changed the same or touching lines differently, the stretch is a conflict, written with git-style
/// markers. Lines keep their own line endings, so a clean merge is exact to the character. Pure and
/// deterministic: the same three texts and labels always give the same result.
/// </summary>
public static class ThreeWayMerge
{
    /// <summary>Merges <paramref name="ours"/> and <paramref name="theirs"/>, both edited from <paramref name="original"/>.</summary>
    /// <param name="original">The common text both were edited from.</param>
    /// <param name="ours">One side; its lines come first in a conflict.</param>
    /// <param name="theirs">The other side.</param>
    /// <param name="oursLabel">Names <paramref name="ours"/> after <c>&lt;&lt;&lt;&lt;&lt;&lt;&lt;</c> (a device, say).</param>
    /// <param name="theirsLabel">Names <paramref name="theirs"/> after <c>&gt;&gt;&gt;&gt;&gt;&gt;&gt;</c>.</param>
    public static MergedText Merge(string original, string ours, string theirs, string oursLabel, string theirsLabel)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(theirs);

        var baseLines = LineEndingsPreservingChunker.Instance.Chunk(original).ToArray();
        var hunks = HunksOf(original, ours, Side.Ours).Concat(HunksOf(original, theirs, Side.Theirs))
            .OrderBy(h => h.Start).ThenBy(h => h.End).ToList();

        var merged = new System.Text.StringBuilder(Math.Max(ours.Length, theirs.Length) + 64);
        var clean = true;
        var at = 0;
        var i = 0;
        while (i < hunks.Count)
        {
            // A region: hunks whose base ranges overlap or touch, so a change next to another is never
            // taken silently (git does the same).
            var start = hunks[i].Start;
            var end = hunks[i].End;
            var j = i + 1;
            while (j < hunks.Count && hunks[j].Start <= end)
            {
                end = Math.Max(end, hunks[j].End);
                j++;
            }

            AppendLines(merged, baseLines, at, start);
            var region = hunks.GetRange(i, j - i);
            var oursText = Apply(baseLines, start, end, region.Where(h => h.Side == Side.Ours));
            var theirsText = Apply(baseLines, start, end, region.Where(h => h.Side == Side.Theirs));
            var oursChanged = region.Any(h => h.Side == Side.Ours);
            var theirsChanged = region.Any(h => h.Side == Side.Theirs);
            if (!theirsChanged || string.Equals(oursText, theirsText, StringComparison.Ordinal))
            {
                merged.Append(oursText);
            }
            else if (!oursChanged)
            {
                merged.Append(theirsText);
            }
            else
            {
                clean = false;
                merged.Append("<<<<<<< ").Append(oursLabel).Append('\n');
                AppendEndingInNewline(merged, oursText);
                merged.Append("=======\n");
                AppendEndingInNewline(merged, theirsText);
                merged.Append(">>>>>>> ").Append(theirsLabel).Append('\n');
            }

            at = end;
            i = j;
        }

        AppendLines(merged, baseLines, at, baseLines.Length);
        return new MergedText(clean, merged.ToString());
    }

    private enum Side
    {
        Ours,
        Theirs,
    }

    // A change of one side: base lines [Start, End) become Lines.
    private sealed record Hunk(int Start, int End, Side Side, string Lines);

    private static IEnumerable<Hunk> HunksOf(string original, string edited, Side side)
    {
        var diff = Differ.Instance.CreateDiffs(original, edited, ignoreWhiteSpace: false, ignoreCase: false, LineEndingsPreservingChunker.Instance);
        foreach (var block in diff.DiffBlocks)
        {
            var lines = string.Concat(diff.PiecesNew.Skip(block.InsertStartB).Take(block.InsertCountB));
            yield return new Hunk(block.DeleteStartA, block.DeleteStartA + block.DeleteCountA, side, lines);
        }
    }

    // Base lines [start, end) with one side's hunks in them applied.
    private static string Apply(string[] baseLines, int start, int end, IEnumerable<Hunk> hunks)
    {
        var text = new System.Text.StringBuilder();
        var at = start;
        foreach (var h in hunks)
        {
            AppendLines(text, baseLines, at, h.Start);
            text.Append(h.Lines);
            at = h.End;
        }

        AppendLines(text, baseLines, at, end);
        return text.ToString();
    }

    private static void AppendLines(System.Text.StringBuilder to, string[] lines, int from, int until)
    {
        for (var k = from; k < until; k++)
        {
            to.Append(lines[k]);
        }
    }

    // A marker must start a line of its own, even after a side whose last line has no line ending.
    private static void AppendEndingInNewline(System.Text.StringBuilder to, string text)
    {
        to.Append(text);
        if (text.Length > 0 && text[^1] != '\n')
        {
            to.Append('\n');
        }
    }
}
