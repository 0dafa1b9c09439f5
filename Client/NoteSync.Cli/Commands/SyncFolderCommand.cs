using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync sync &lt;folder&gt;</c>: two-way, live, until Ctrl+C.</summary>
internal static class SyncFolderCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: false);
        var connection = new ConnectionOptions();
        var debounce = ConnectionOptions.Positive(new Option<int>("--debounce-ms") { Description = "How long a file must be quiet before its edit is taken, in milliseconds (an editor's save burst becomes one edit).", DefaultValueFactory = _ => 200 });
        var command = new Command("sync", "Keep the folder and the server in sync, both ways, live, until Ctrl+C. Local edits made while stopped or offline go up on start or reconnect.");
        command.Arguments.Add(folder);
        connection.AddTo(command);
        command.Options.Add(debounce);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async ct =>
            {
                await using var session = FolderSession.Open(result.GetValue(folder)!, connection.Read(result), needServer: true, create: true);
                using var live = new LiveSync(session, TimeSpan.FromMilliseconds(result.GetValue(debounce)));
                return await live.RunAsync(ct);
            },
            cancellationToken));
        return command;
    }
}
