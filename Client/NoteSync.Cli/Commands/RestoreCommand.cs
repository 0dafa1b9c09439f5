using System.CommandLine;
using NoteSync.Client;
using NoteSync.Shared;

namespace NoteSync.Cli.Commands;

/// <summary>
/// <c>notesync restore &lt;file&gt; --version &lt;timestamp@device&gt;</c> and <c>notesync undelete &lt;path&gt;</c>: the
/// version's text (or the deleted note's last text) written as an ordinary edit, into the file, and synced. With a
/// sync running on the folder the request is handed to it, as <c>resolve</c> does (<see cref="ResolveRequests"/>).
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The note file (e.g. ~/Notes/plans.md)." };
        var version = new Option<string>("--version") { Description = "The version to bring back, <timestamp>@<device>, as `notesync history` shows it.", Required = true };
        return ServerCommand.Create(
            "restore",
            "Bring a note back to one of its versions: its text becomes the note again (a new edit, synced to every device; a version that is a delete deletes the note).",
            file,
            [version],
            (result, token, ct) =>
            {
                var text = result.GetValue(version)!;
                if (!NoteVersionId.TryParse(text, out var id))
                {
                    throw new CliException(ExitCodes.Usage, $"--version: expected <timestamp>@<device> as `notesync history` shows it, not '{text}'");
                }

                var target = NoteTarget.Of(result.GetValue(file)!);
                return RunAsync(target.Layout, new Restoration(target.NotePath, id), token, ct);
            });
    }

    public static Command CreateUndelete()
    {
        var path = new Argument<string>("path") { Description = "The deleted note, as `notesync trash` lists it (from --folder), or as a file path." };
        var folder = new Option<string?>("--folder", "-f") { Description = "The synced folder the path is in. Default: the one above the path, from the current folder." };
        return ServerCommand.Create(
            "undelete",
            "Bring a deleted note back from the trash as a file with its last text (a new edit, synced to every device).",
            path,
            [folder],
            (result, token, ct) =>
            {
                var target = NoteTarget.Of(result.GetValue(path)!, result.GetValue(folder));
                return RunAsync(target.Layout, new Restoration(target.NotePath, null), token, ct);
            });
    }

    private static async Task<int> RunAsync(FolderLayout layout, Restoration restoration, string? token, CancellationToken cancellationToken)
    {
        if (FolderLock.TryAcquire(layout) is not { } held)
        {
            var (code, message) = await ResolveRequests.SubmitAsync(layout, restoration, cancellationToken);
            return code == ExitCodes.Ok ? Print(message + " (by the running sync)") : CommandRunner.Fail(code, message);
        }

        await using var session = FolderSession.Open(layout.Root, ConnectionOptions.Offline with { Token = token }, needServer: true, held);
        session.Client.Start();

        // The replica first catches up with the server, so the restore replaces what the note is now there.
        await ServerRound.RunAsync(session, cancellationToken);
        var done = await restoration.ApplyAsync(session.Sync, session.Client, session.Config.Server);
        await ServerRound.RunAsync(session, cancellationToken);
        return Print(done + "; synced");
    }

    private static int Print(string line)
    {
        Console.Out.WriteLine(PrintableText.Escape(line));
        return ExitCodes.Ok;
    }
}
