using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync sync &lt;folder&gt;</c>: two-way, live, until Ctrl+C; with <c>--once</c>, one round (for cron).</summary>
internal static class SyncFolderCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: false);
        var connection = new ConnectionOptions();
        var debounce = ConnectionOptions.Positive(new Option<int>("--debounce-ms") { Description = "How long a file must be quiet before its edit is taken, in milliseconds (an editor's save burst becomes one edit).", DefaultValueFactory = _ => 200 });
        var once = new Option<bool>("--once") { Description = "Sync one round and exit (for cron or a timer): local edits go up, the server's changes come down into the files, a crossed edit keeps both versions. Exits 2 when the server cannot be reached or answers with an error." };
        var command = new Command("sync", "Keep the folder and the server in sync, both ways, live, until Ctrl+C (or one round with --once). Local edits made while stopped or offline go up on start or reconnect.");
        command.Arguments.Add(folder);
        connection.AddTo(command);
        command.Options.Add(debounce);
        command.Options.Add(once);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async ct =>
            {
                await using var session = FolderSession.Open(result.GetValue(folder)!, connection.Read(result), needServer: true, create: true);
                if (result.GetValue(once))
                {
                    return await OneShot.RunAsync(session, OneShotKind.Round, ct);
                }

                using var live = new LiveSync(session, TimeSpan.FromMilliseconds(result.GetValue(debounce)));
                return await live.RunAsync(ct);
            },
            cancellationToken,
            connection.Read(result)));
        return command;
    }
}
