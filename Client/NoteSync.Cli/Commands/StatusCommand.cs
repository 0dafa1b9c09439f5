using System.CommandLine;
using System.Text.Json;
using NoteSync.Shared;

namespace NoteSync.Cli.Commands;

/// <summary>
/// <c>notesync status [folder]</c>: server, device, whether a sync runs, its state and transport, the outbox
/// depth, <c>last_ack</c>, the conflict count, and the writes the server refused (each with its reason). Works offline: from the running sync's status file, or
/// from the folder's own store when no sync runs.
/// </summary>
internal static class StatusCommand
{
    // The longest label: every label is padded one column past it, so each value stands apart from its
    // name, at the same width whichever lines a folder has.
    private const string LastErrorLabel = "last_error";
    private static readonly int LabelWidth = LastErrorLabel.Length + 2;

    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: true);
        var command = new Command("status", "Show the folder's sync state: server, device, running or not, online/offline, transport, outbox depth, last_ack, conflicts. Needs no server.");
        command.Arguments.Add(folder);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async _ =>
            {
                var layout = FolderArgument.Existing(result.GetValue(folder)!);
                var config = FolderConfig.Load(layout);
                var lines = new List<(string, string)> { ("folder", layout.Root), ("server", config.Server ?? "-"), ("device", config.Device ?? "-") };
                if (FolderLock.TryAcquire(layout) is { } held)
                {
                    await using var session = FolderSession.Open(layout.Root, ConnectionOptions.Offline, needServer: false, held);
                    var status = session.Client.Status;
                    lines.Add(("sync", "not running"));
                    lines.Add(("state", "offline"));
                    lines.Add(("transport", "none"));
                    // Edits made since the sync stopped wait in their files, not yet in the store: counted too.
                    lines.Add(("outbox", (status.OutboxDepth + session.Sync.CountLocalEdits()).ToString("N0")));
                    lines.Add(("last_ack", session.Client.LastAck.ToString()));
                    lines.Add(("conflicts", session.Sync.CurrentConflictPaths().Count.ToString()));
                    lines.Add(("refused", session.Client.Refused.Count.ToString()));
                    lines.AddRange(session.Client.Refused.Select(r => ("refused", $"{r.Path}: {r.Code}: {r.Reason}")));
                }
                else
                {
                    using var doc = StatusFile.Read(layout);
                    if (doc is null)
                    {
                        lines.Add(("sync", "running (starting up)"));
                    }
                    else
                    {
                        var root = doc.RootElement;
                        lines.Add(("sync", $"running (pid {root.GetProperty("pid").GetInt32()})"));
                        var state = root.GetProperty("state").GetString()!;
                        lines.Add(("state", state));
                        lines.Add(("transport", root.GetProperty("transport").GetString() + (root.GetProperty("fell_back_to_polling").GetBoolean() ? " (the WebSocket was refused)" : "")));
                        lines.Add(("outbox", root.GetProperty("outbox").GetInt32().ToString("N0")));
                        lines.Add(("last_ack", root.GetProperty("last_ack").GetInt64().ToString()));
                        lines.Add(("conflicts", root.GetProperty("conflicts").GetArrayLength().ToString()));
                        if (root.TryGetProperty("refused", out var refused))
                        {
                            lines.Add(("refused", refused.GetArrayLength().ToString()));
                            lines.AddRange(refused.EnumerateArray().Select(r => ("refused", $"{r.GetProperty("path").GetString()}: {r.GetProperty("code").GetString()}: {r.GetProperty("reason").GetString()}")));
                        }
                        if (root.GetProperty("last_error").ValueKind == JsonValueKind.String)
                        {
                            lines.Add((LastErrorLabel, root.GetProperty("last_error").GetString()!));
                        }
                    }
                }

                foreach (var (name, value) in lines)
                {
                    Console.Out.WriteLine(PrintableText.Escape((name + ":").PadRight(LabelWidth) + value));
                }

                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }
}
