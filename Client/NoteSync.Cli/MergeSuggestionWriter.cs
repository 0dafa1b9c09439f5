using System.Text;

namespace NoteSync.Cli;

/// <summary>
/// <c>resolve --merge</c>: the server's merge of a conflicted note's two heads, written into the note's file for a
/// person to finish. Nothing goes to the server here: the finished file is an ordinary local edit, which the next
/// sync or push sends as an edit of both heads (or <c>resolve --keep &lt;file&gt;</c> keeps it explicitly).
/// </summary>
internal static class MergeSuggestionWriter
{
    // The line git and the server open each overlapping region with; counting them tells the person how much is left.
    private const string ConflictStart = "<<<<<<<";

    /// <summary>Fetches the suggestion, writes it over the note file and returns the line to print.</summary>
    public static async Task<string> WriteAsync(NoteTarget target, string? token, CancellationToken cancellationToken)
    {
        // A running sync would send the file the moment it changes, markers and all, and that edit names both
        // heads: the conflict would be "resolved" with the unfinished merge on every device.
        using var held = FolderLock.TryAcquire(target.Layout)
            ?? throw new CliException(ExitCodes.Locked, $"a sync is running on {target.Layout.Root}: it would send the unfinished merge at once; stop it, run resolve --merge, finish the file, then sync");
        var merge = await ServerReads.RunAsync(target.Layout, token, async (client, ct) =>
        {
            try
            {
                return await client.GetMergeSuggestionAsync(target.NotePath, ct);
            }
            catch (KeyNotFoundException ex)
            {
                // The server says not_found for every note it cannot merge, a note in no conflict the commonest.
                throw new CliException(ExitCodes.Usage, $"{target.NotePath} has no merge to suggest: it is not in conflict between two edits of text with a common version (see `notesync conflicts`)", ex);
            }
        }, cancellationToken);

        var file = NotePaths.FullOf(target.Layout.Root, target.NotePath)
            ?? throw new CliException(ExitCodes.Usage, $"{target.NotePath} cannot be written in {target.Layout.Root}");
        AtomicFile.Write(file, new UTF8Encoding(false).GetBytes(merge.Text));
        var regions = CountRegions(merge.Text);
        return merge.Clean || regions == 0
            ? $"merged {target.NotePath} cleanly into {file}; check it, then sync or push to send it"
            : $"wrote the merge of {target.NotePath} into {file} with {regions} conflict region{(regions == 1 ? "" : "s")} to finish (between <<<<<<< and >>>>>>>); then sync or push, or `notesync resolve {file} --keep {file}`";
    }

    private static int CountRegions(string text) =>
        text.Split('\n').Count(line => line.StartsWith(ConflictStart, StringComparison.Ordinal));
}
