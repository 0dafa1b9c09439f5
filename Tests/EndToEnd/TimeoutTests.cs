using System.Net;
using System.Net.Sockets;
using System.Text;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// <c>NoteSync:Limits:HandshakeTimeoutSeconds</c> (a slowloris is closed before its upgrade completes)
/// and <c>PingIntervalSeconds</c>/<c>IdleTimeoutSeconds</c> (a WebSocket that answers no ping is
/// dropped; one that does stays however quiet it is). Bounds are generous: the point is that the
/// server closes them at all.
/// </summary>
public sealed class TimeoutTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneBytePerSecondBeforeTheUpgradeIsClosedByTheHandshakeTimeout(bool auth)
    {
        var settings = auth ? TestTokens.Settings() : [];
        settings["NoteSync__Limits__HandshakeTimeoutSeconds"] = "2";
        await using var server = await ServerProcess.StartAsync(settings);
        var token = auth ? "&access_token=" + TestTokens.Mint("alice", "slow") : "";
        var request = Encoding.ASCII.GetBytes($"GET /ws/sync?device_id=slow{token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = tcp.GetStream();

        // Act: one byte a second (the request would take minutes), while reading until the server closes.
        var closed = DrainUntilClosedAsync(stream);
        var sent = 0;
        while (!closed.IsCompleted && sent < request.Length)
        {
            try
            {
                await stream.WriteAsync(request.AsMemory(sent, 1));
                sent++;
            }
            catch (IOException)
            {
                break;
            }

            await Task.WhenAny(closed, Task.Delay(1000));
        }

        // Assert: closed long before the headers were complete, and the server is fine.
        await closed.WaitAsync(Bound);
        Assert.True(sent < request.Length, $"sent all {sent} bytes before the server closed");
        await ServerAssert.HealthyAsync(server);
        await using var device = await WsDevice.ConnectAsync(server, "fine", token: auth ? TestTokens.Mint("alice", "fine") : null);
        await device.PutAsync("note:after-slowloris", "ok");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebSocketThatAnswersNoPingIsClosedAndOneThatDoesStaysOpen(bool auth)
    {
        var settings = auth ? TestTokens.Settings() : [];
        settings["NoteSync__Limits__PingIntervalSeconds"] = "1";
        settings["NoteSync__Limits__IdleTimeoutSeconds"] = "2";
        await using var server = await ServerProcess.StartAsync(settings);
        var silentToken = auth ? "&access_token=" + TestTokens.Mint("alice", "silent") : "";

        // A device whose client answers pings (ClientWebSocket does) and otherwise sends nothing.
        await using var quiet = await WsDevice.ConnectAsync(server, "quiet", token: auth ? TestTokens.Mint("alice", "quiet") : null);

        // Act: a hand-made WebSocket that upgrades and then goes silent, never answering a ping.
        using var silent = await RawWebSocket.ConnectAsync(server, $"/ws/sync?device_id=silent{silentToken}");
        await silent.ReadUntilClosedAsync(Bound);

        // Assert: the silent one was dropped; the quiet one outlived it and still syncs.
        await Task.Delay(3000);
        Assert.False(quiet.Closed.IsCompleted, "the device that answers pings was closed");
        await quiet.PutAsync("note:quiet", "still here");
        await ServerAssert.HealthyAsync(server);
    }

    private static async Task DrainUntilClosedAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset: closed.
        }
    }
}
