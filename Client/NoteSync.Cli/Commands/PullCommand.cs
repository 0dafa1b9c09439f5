using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync pull &lt;folder&gt;</c>: write remote changes into files once, then exit.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: false);
        var connection = new ConnectionOptions();
        var command = new Command("pull", "Fetch the server's changes once, write them into files that have no local edits, and exit. Files with local edits are left alone (use push or sync).");
        command.Arguments.Add(folder);
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async ct =>
            {
                await using var session = FolderSession.Open(result.GetValue(folder)!, connection.Read(result), needServer: true, create: true);
                return await OneShot.RunAsync(session, OneShotKind.Pull, ct);
            },
            cancellationToken,
            connection.Read(result)));
        return command;
    }
}
