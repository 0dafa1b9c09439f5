using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync push &lt;folder&gt;</c>: send local edits once, then exit.</summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: false);
        var connection = new ConnectionOptions();
        var command = new Command("push", "Send the folder's local edits (new, changed, deleted files) to the server once, wait for the server to acknowledge them, and exit. Remote changes are not written to files (use pull).");
        command.Arguments.Add(folder);
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async ct =>
            {
                await using var session = FolderSession.Open(result.GetValue(folder)!, connection.Read(result), needServer: true);
                return await OneShot.RunAsync(session, OneShotKind.Push, ct);
            },
            cancellationToken,
            connection.Read(result)));
        return command;
    }
}
