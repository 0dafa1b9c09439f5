using System.Globalization;
using System.Text;

namespace NoteSync.Bench.Scenarios.Merge;

/// <summary>
/// The texts of the merge scenario: per pair one note of <see cref="Lines"/> lines, two edits of it that
/// change lines far apart (so the server's line merge, docs/protocol.md §2.3, is clean), and the text the
/// merge must give. The first line, <c>@&lt;pair&gt;@</c>, is never edited: every version names its pair.
/// </summary>
internal static class MergeNotes
{
    public const int Lines = 16;

    // Lines touched by the two edits: far apart, since changes to adjacent lines are a conflict.
    private const int FirstEditedLine = 3;
    private const int SecondEditedLine = Lines - 3;

    public static string Key(string runPrefix, int pair) => $"{runPrefix}m/{pair}";

    /// <summary>The version both edits are made from.</summary>
    public static string Original(int pair) => Build(pair, first: false, second: false);

    /// <summary>Edit <paramref name="side"/> (0 or 1) of <paramref name="pair"/>: one line changed.</summary>
    public static string Edit(int pair, int side) => Build(pair, first: side == 0, second: side == 1);

    /// <summary>What a clean merge of the two edits is: both lines changed.</summary>
    public static string Merged(int pair) => Build(pair, first: true, second: true);

    /// <summary>The pair a text note belongs to, from its first line.</summary>
    public static bool TryPair(string text, out int pair)
    {
        pair = -1;
        var end = text.IndexOf('@', 1);
        return text.Length > 2 && text[0] == '@' && end > 1
            && int.TryParse(text.AsSpan(1, end - 1), NumberStyles.None, CultureInfo.InvariantCulture, out pair);
    }

    private static string Build(int pair, bool first, bool second)
    {
        var text = new StringBuilder(1024);
        text.Append('@').Append(pair.ToString(CultureInfo.InvariantCulture)).Append("@\n");
        for (var line = 1; line < Lines; line++)
        {
            var edited = (line == FirstEditedLine && first) || (line == SecondEditedLine && second);
            text.Append(CultureInfo.InvariantCulture, $"line {line} of note {pair}: ")
                .Append(edited ? "changed on one device while another changed a line further down" : "the quick brown fox jumps over the lazy dog")
                .Append('\n');
        }

        return text.ToString();
    }
}
