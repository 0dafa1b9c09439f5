using System.CommandLine;
using System.Text.Json;
using NoteSync.Shared;

namespace NoteSync.Cli.Commands;

/// <summary>
/// <c>notesync status [folder] [--json]</c>: server, device, whether a sync runs, its state and transport, the outbox
/// depth, <c>last_ack</c>, the conflicts, and the writes the server refused (each with its reason). Works offline: from the running sync's status file, or
/// from the folder's own store when no sync runs.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: true);
        var json = JsonResult.Option();
        var command = new Command("status", "Show the folder's sync state: server, device, running or not, online/offline, transport, outbox depth, last_ack, conflicts. Needs no server.");
        command.Arguments.Add(folder);
        command.Options.Add(json);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async _ =>
            {
                var layout = FolderArgument.Existing(result.GetValue(folder)!);
                var config = FolderConfig.Load(layout);
                var known = new StatusReport(layout.Root, config.Server, config.Device, Running: true) { State = "starting" };
                StatusReport report;
                if (FolderLock.TryAcquire(layout) is { } held)
                {
                    await using var session = FolderSession.Open(layout.Root, ConnectionOptions.Offline, needServer: false, held);
                    var client = session.Client;
                    report = known with
                    {
                        Running = false,
                        State = "offline",
                        Transport = "none",

                        // Edits made since the sync stopped wait in their files, not yet in the store: counted too.
                        Outbox = client.Status.OutboxDepth + session.Sync.CountLocalEdits(),
                        LastAck = client.LastAck,
                        Conflicts = [.. session.Sync.CurrentConflictPaths().Order(StringComparer.Ordinal)],
                        Refused = [.. client.Refused.Select(r => (r.Path, r.Code, r.Reason))],
                    };
                }
                else
                {
                    using var doc = StatusFile.Read(layout);
                    report = doc is null ? known : FromStatusFile(known, doc.RootElement);
                }

                if (result.GetValue(json))
                {
                    JsonResult.Write(report.WriteJson);
                }
                else
                {
                    foreach (var line in report.Lines())
                    {
                        Console.Out.WriteLine(PrintableText.Escape(line));
                    }
                }

                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    private static StatusReport FromStatusFile(StatusReport known, JsonElement root) => known with
    {
        Pid = root.GetProperty("pid").GetInt32(),
        State = root.GetProperty("state").GetString()!,
        Transport = root.GetProperty("transport").GetString(),
        FellBackToPolling = root.GetProperty("fell_back_to_polling").GetBoolean(),
        Outbox = root.GetProperty("outbox").GetInt32(),
        LastAck = root.GetProperty("last_ack").GetInt64(),
        LastError = root.GetProperty("last_error").ValueKind == JsonValueKind.String ? root.GetProperty("last_error").GetString() : null,
        Conflicts = [.. root.GetProperty("conflicts").EnumerateArray().Select(e => e.GetString()!)],
        Refused = root.TryGetProperty("refused", out var refused)
            ? [.. refused.EnumerateArray().Select(r => (r.GetProperty("path").GetString()!, r.GetProperty("code").GetString()!, r.GetProperty("reason").GetString()!))]
            : null,
    };
}
