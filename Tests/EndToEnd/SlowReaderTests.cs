using System.Net.WebSockets;
using System.Text;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>A device that stops reading is cut off and holds up nobody else.</summary>
public sealed class SlowReaderTests
{
    [Fact]
    public async Task DeviceThatStopsReadingIsDisconnectedAndOthersKeepSyncing()
    {
        // Arrange: a tiny send queue, a device that syncs once then never reads again, and a healthy one.
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__SendQueueFrames"] = "4" });
        using var stalled = new ClientWebSocket();
        await stalled.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws/sync?device_id=stalled"), CancellationToken.None);
        await stalled.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"sync_push\",\"changes\":[],\"last_ack\":0}"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        await stalled.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);
        await using var healthy = await WsDevice.ConnectAsync(server, "healthy");
        await healthy.PullAsync();
        await using var writer = await WsDevice.ConnectAsync(server, "writer");

        // Act: far more than the kernel's socket buffers hold (400 x 64 KB).
        var big = new string('x', 64 * 1024);
        for (var i = 0; i < 400; i++)
        {
            await writer.PutAsync($"note:big/{i}", $"{i}:{big}");
        }

        // Assert: the healthy device got everything; the stalled one was cut (reading now ends in an error or close).
        await healthy.WaitForValueAsync("note:big/399", $"399:{big}", TimeSpan.FromSeconds(60));
        var cut = await ReadUntilClosedAsync(stalled, TimeSpan.FromSeconds(60));
        Assert.True(cut, "the stalled device was never disconnected");
        Assert.Contains("its send queue is full", server.Output, StringComparison.Ordinal);
    }

    private static async Task<bool> ReadUntilClosedAsync(ClientWebSocket socket, TimeSpan timeout)
    {
        var buffer = new byte[256 * 1024];
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return true;
                }
            }
        }
        catch (WebSocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
