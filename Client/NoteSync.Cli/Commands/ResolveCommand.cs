using System.CommandLine;
using System.Text;
using NoteSync.Shared;

namespace NoteSync.Cli.Commands;

/// <summary>
/// <c>notesync resolve &lt;path&gt; --keep mine|theirs|&lt;file&gt;</c>. With a sync running on the folder, the
/// request is handed to it (<see cref="ResolveRequests"/>), which resolves and pushes at once; without
/// one, it is resolved in the folder's store and goes up with the next sync or push.
/// <c>resolve &lt;path&gt; --merge</c> instead writes the server's merge into the note file (<see cref="MergeSuggestionWriter"/>).
/// </summary>
internal static class ResolveCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "The note file in conflict (e.g. ~/Notes/plans.md)." };
        var keep = new Option<string>("--keep", "-k")
        {
            Description = "Which version becomes the note: mine (this device's), theirs (the other device's; an error when several devices conflict), or a file whose content to keep (e.g. plans.conflict-phone.md or a merge you wrote).",
        };
        var merge = new Option<bool>("--merge", "-m")
        {
            Description = "Instead of --keep: write the server's line merge of the two edits into the note file, with git-style markers (<<<<<<< ======= >>>>>>>) where they overlap. Nothing is sent: finish the file, then sync or push (or resolve --keep <file>).",
        };
        return ServerCommand.Create(
            "resolve",
            "Resolve a note in conflict: with --keep, the chosen content is written with a newer clock, which clears the conflict on every device, and the conflict copies are removed; with --merge, the server's merge of the two edits is written into the note file for you to finish.",
            path,
            [keep, merge],
            async (result, token, ct) =>
            {
                var keepValue = result.GetValue(keep);
                var merging = result.GetValue(merge);
                if (merging == keepValue is not null)
                {
                    throw new CliException(ExitCodes.Usage, merging ? "--merge and --keep cannot be used together: --merge writes a merge to finish, --keep resolves" : "give --keep mine|theirs|<file> or --merge");
                }

                if (merging)
                {
                    return Print(await MergeSuggestionWriter.WriteAsync(NoteTarget.Of(result.GetValue(path)!), token, ct));
                }

                var target = Path.GetFullPath(result.GetValue(path)!);
                var layout = FolderLayout.Find(target) ?? throw new CliException(ExitCodes.Usage, $"{target} is not in a synced folder (no .notesync above it)");
                var notePath = NotePaths.RelativeOf(layout.Root, target) is { } relative ? NotePaths.Normalized(relative) : null;
                if (notePath is null || !NotePaths.IsNoteShaped(notePath))
                {
                    throw new CliException(ExitCodes.Usage, $"{target} is not a note file (.md or .txt; give the note, not its conflict copy, and --keep <copy> to keep a copy)");
                }

                if (NotePaths.Problem(notePath) is { } problem)
                {
                    throw new CliException(ExitCodes.Usage, $"{target} cannot be a note: {problem}");
                }

                var resolution = new Resolution(notePath, keepValue!, ReadKeepFile(keepValue!));
                if (FolderLock.TryAcquire(layout) is not { } held)
                {
                    var (code, message) = await ResolveRequests.SubmitAsync(layout, resolution, ct);
                    return code == ExitCodes.Ok ? Print(message + " (by the running sync)") : CommandRunner.Fail(code, message);
                }

                await using var session = FolderSession.Open(layout.Root, ConnectionOptions.Offline, needServer: false, held);
                var done = await resolution.ApplyAsync(session.Sync, session.Client);
                return Print(done + "; the next sync or push sends it");
            });
    }

    private static int Print(string line)
    {
        Console.Out.WriteLine(PrintableText.Escape(line));
        return ExitCodes.Ok;
    }

    private static string? ReadKeepFile(string keep)
    {
        if (keep is Resolution.Mine or Resolution.Theirs)
        {
            return null;
        }

        if (!File.Exists(keep))
        {
            throw new CliException(ExitCodes.Usage, $"--keep: expected mine, theirs or a file; no file {keep}");
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(File.ReadAllBytes(keep));
        }
        catch (DecoderFallbackException)
        {
            throw new CliException(ExitCodes.Usage, $"--keep: {keep} is not UTF-8 text");
        }
    }
}
