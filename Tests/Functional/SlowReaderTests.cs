using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// A device that reads slowly gets fewer, larger frames and everything; one that stops reading is cut
/// off; neither holds up anybody else. On both stores (<see cref="TestStores"/>): live pushes come through
/// the store's doorbell, in process or over Redis.
/// </summary>
public sealed class SlowReaderTests
{
    private const int Notes = 400;

    // Far more than the kernel's loopback socket buffers hold: 400 x 64 KB.
    private static readonly string Big = new('x', 64 * 1024);

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task DeviceThatStopsReadingIsDisconnectedAndOthersKeepSyncing(string store)
    {
        // Arrange: a tiny send queue, a short stall limit, a device that syncs once then never reads again, and a healthy one.
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string>
        {
            ["NoteSync__Limits__SendQueueFrames"] = "4",
            ["NoteSync__Limits__SendStallMs"] = "1000",
        });
        using var stalled = await ConnectSyncedAsync(server, "stalled");
        await using var healthy = await WsDevice.ConnectAsync(server, "healthy");
        await healthy.PullAsync();
        await using var writer = await WsDevice.ConnectAsync(server, "writer");

        // Act
        await WriteNotesAsync(writer);

        // Assert: the healthy device got everything; the server cut the stalled one (reading it now
        // ends in an error or close). Reading only after the cut: a read before it would be progress.
        await healthy.WaitForValueAsync($"note:big/{Notes - 1}", $"{Notes - 1}:{Big}", TimeSpan.FromSeconds(60));
        const string cutMessage = "Disconnected device stalled of space default: it read nothing for";
        using (var waiting = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!server.Output.Contains(cutMessage, StringComparison.Ordinal) && !waiting.IsCancellationRequested)
            {
                await Task.Delay(50, CancellationToken.None);
            }
        }

        Assert.Contains(cutMessage, server.Output, StringComparison.Ordinal);
        var (closed, _, _) = await ReadUntilClosedAsync(stalled, TimeSpan.FromSeconds(60));
        Assert.True(closed, "the stalled device was cut but its connection stayed open");
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task DeviceThatReadsLateGetsEverythingInFewerFramesAndIsNotCut(string store)
    {
        // Arrange: the same tiny queue, a stall limit far above the time it takes to write the notes; the device
        // reads nothing while all 400 are written; pages that hold several of its 64 KiB notes.
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string>
        {
            ["NoteSync__Limits__SendQueueFrames"] = "4",
            ["NoteSync__Limits__SendStallMs"] = "300000",
            ["NoteSync__Sync__PageBytes"] = "524288",
        });
        using var late = await ConnectSyncedAsync(server, "late");
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        await WriteNotesAsync(writer);

        // Act: now it reads, until it holds the last note.
        var (closed, frames, values) = await ReadUntilClosedAsync(late, TimeSpan.FromSeconds(60), stopWhen: v => v.ContainsKey($"note:big/{Notes - 1}"));

        // Assert: every note arrived, the connection is open, and the changes that waited were sent together.
        Assert.False(closed, $"the late reader was disconnected:\n{server.Output}");
        Assert.Equal(Notes, values.Count);
        Assert.All(Enumerable.Range(0, Notes), i => Assert.Equal($"{i}:{Big}", values[$"note:big/{i}"]));
        Assert.True(frames < Notes, $"expected the held-back changes to come in fewer frames than {Notes} changes, got {frames} frames");
        Assert.DoesNotContain("Disconnected device late", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task DeviceThatPushesWithoutReadingItsAnswersIsSlowedNotCut(string store)
    {
        // Arrange: the tiny queue, and a space whose every full answer (last_ack 0) is 40 x 64 KB in one
        // page, so a few unread answers fill the socket buffers and then the queue.
        const int pushes = 30;
        const int notes = 40;
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string>
        {
            ["NoteSync__Limits__SendQueueFrames"] = "4",
            ["NoteSync__Limits__SendStallMs"] = "300000",
            ["NoteSync__Sync__PageBytes"] = "8388608",
        });
        await using (var writer = await WsDevice.ConnectAsync(server, "writer"))
        {
            await writer.PutManyAsync([.. Enumerable.Range(0, notes).Select(i => ($"note:big/{i}", (string?)$"{i}:{Big}"))]);
        }

        using var greedy = new ClientWebSocket();
        greedy.Options.KeepAliveInterval = TimeSpan.Zero;
        await greedy.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws/sync?device_id=greedy"), CancellationToken.None);

        // Act: 30 pushes asking for everything, nothing read for 2 s, then everything read.
        for (var i = 0; i < pushes; i++)
        {
            await greedy.SendAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"sync_push\",\"changes\":[],\"last_ack\":0,\"request_id\":\"r{i}\"}}"), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        await Task.Delay(2000);
        var answered = new HashSet<string>();
        var closed = false;
        var buffer = new byte[256 * 1024];
        using var message = new MemoryStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (answered.Count < pushes)
            {
                var result = await greedy.ReceiveAsync(buffer, deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closed = true;
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    var ack = JsonSerializer.Deserialize(message.ToArray(), NoteSyncJsonContext.Default.SyncAck)!;
                    message.SetLength(0);
                    if (ack.RequestId is { } id)
                    {
                        Assert.Equal(notes, ack.Changes.Count);
                        answered.Add(id);
                    }
                }
            }
        }
        catch (WebSocketException)
        {
            closed = true;
        }

        // Assert: every push was answered in full on the same connection; the device was never cut.
        Assert.False(closed, $"the device was disconnected:\n{server.Output}");
        Assert.Equal(pushes, answered.Count);
        Assert.DoesNotContain("Disconnected device greedy", server.Output, StringComparison.Ordinal);
    }

    private static async Task WriteNotesAsync(WsDevice writer)
    {
        for (var i = 0; i < Notes; i++)
        {
            await writer.PutAsync($"note:big/{i}", $"{i}:{Big}");
        }
    }

    /// <summary>A raw socket that pulls once (so live pushes start) and reads only when told to.</summary>
    private static async Task<ClientWebSocket> ConnectSyncedAsync(InProcessServer server, string deviceId)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws/sync?device_id={deviceId}"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"sync_push\",\"changes\":[],\"last_ack\":0}"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);
        return socket;
    }

    /// <summary>Reads frames until the connection closes, <paramref name="stopWhen"/> holds, or the timeout.</summary>
    private static async Task<(bool Closed, int Frames, Dictionary<string, string?> Values)> ReadUntilClosedAsync(
        ClientWebSocket socket, TimeSpan timeout, Func<Dictionary<string, string?>, bool>? stopWhen = null)
    {
        var values = new Dictionary<string, string?>();
        var frames = 0;
        var buffer = new byte[256 * 1024];
        using var message = new MemoryStream();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (true, frames, values);
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                frames++;
                var ack = JsonSerializer.Deserialize(message.ToArray(), NoteSyncJsonContext.Default.SyncAck)!;
                message.SetLength(0);
                foreach (var change in ack.Changes)
                {
                    values[change.Key] = change.Value;
                }

                if (stopWhen?.Invoke(values) == true)
                {
                    return (false, frames, values);
                }
            }
        }
        catch (WebSocketException)
        {
            return (true, frames, values);
        }
        catch (OperationCanceledException)
        {
            return (false, frames, values);
        }
    }
}
