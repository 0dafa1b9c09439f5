using System.Net;
using System.Net.WebSockets;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// <c>NoteSync:Limits:HandshakeTimeoutSeconds</c> (a slowloris is closed before its upgrade completes)
/// and <c>PingIntervalSeconds</c>/<c>IdleTimeoutSeconds</c> (a WebSocket that answers no ping is
/// dropped; one that does stays however quiet it is), on the raw WebSocket and on the hub. Bounds are
/// generous, but below what the server would do without the limit: the point is that the server
/// closes them at all, and by these settings.
/// </summary>
[LongRunning(55)]
public sealed class TimeoutTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    // One store: Kestrel closes the connection before a request, let alone a store, is reached.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneBytePerSecondBeforeTheUpgradeIsClosedByTheHandshakeTimeout(bool auth)
    {
        var settings = auth ? TestTokens.Settings() : [];
        settings["NoteSync__Limits__HandshakeTimeoutSeconds"] = "2";
        await using var server = await InProcessServer.StartAsync(settings);
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

    // One store: pings and their timeout are the WebSocket layer's, below the session and its store.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebSocketThatAnswersNoPingIsClosedAndOneThatDoesStaysOpen(bool auth)
    {
        var settings = auth ? TestTokens.Settings() : [];
        settings["NoteSync__Limits__PingIntervalSeconds"] = "1";
        settings["NoteSync__Limits__IdleTimeoutSeconds"] = "2";
        await using var server = await InProcessServer.StartAsync(settings);
        var silentToken = auth ? "&access_token=" + TestTokens.Mint("alice", "silent") : "";

        // A device whose client answers pings (ClientWebSocket does) and otherwise sends nothing.
        await using var quiet = await WsDevice.ConnectAsync(server, "quiet", token: auth ? TestTokens.Mint("alice", "quiet") : null);

        // Act: a hand-made WebSocket that upgrades and then goes silent, never answering a ping.
        using var silent = await RawWebSocket.ConnectAsync(server, $"/ws/sync?device_id=silent{silentToken}");
        await silent.ReadUntilClosedAsync(Bound);

        // Assert: the silent one was dropped; the quiet one outlived it and still syncs. Nothing signals
        // "not dropped": the quiet one connected first, so a timeout that would drop it had run out by
        // the silent one's close; one more ping interval (1 s) covers the timers' granularity.
        await Task.Delay(1000);
        Assert.False(quiet.Closed.IsCompleted, "the device that answers pings was closed");
        await quiet.PutAsync("note:quiet", "still here");
        await ServerAssert.HealthyAsync(server);
    }

    // Both stores (with Redis the hub runs on the Redis backplane's lifetime manager); auth on, whose
    // path adds a token-expiry timer per connection (auth does not change the timeouts).
    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task HubWebSocketThatNeverSendsTheHandshakeIsClosedByTheHandshakeTimeout(string store)
    {
        // Arrange: the handshake limit at 2 s; SignalR's own default would wait 15 s, the idle timeout 30 s.
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__HandshakeTimeoutSeconds"] = "2";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        var token = "&access_token=" + TestTokens.Mint("alice", "mute");

        // Act: the hub's WebSocket, negotiation skipped, and then nothing.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var mute = await RawWebSocket.ConnectAsync(server, $"/hubs/sync?device_id=mute{token}");
        await mute.ReadUntilClosedAsync(Bound);

        // Assert: closed by the 2 s limit (with room for a busy machine), and the hub still serves others.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(12), $"closed after {watch.Elapsed}");
        await using var device = await HubDevice.ConnectAsync(server, "fine", messagePack: false, TestTokens.Mint("alice", "fine"));
        await device.PutAsync("note:after-mute", "ok");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task HubConnectionThatGoesSilentIsClosedAfterTheIdleTimeoutAndOneThatPingsStaysOpen(string store)
    {
        // Arrange: pings every second, 5 s of silence allowed (SignalR's own default is 30 s): far below
        // 30 s, and five times the pinging device's 1 s, so a loaded machine's pauses do not cut it.
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__PingIntervalSeconds"] = "1";
        settings["NoteSync__Limits__IdleTimeoutSeconds"] = "5";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        static string Token(string device) => "&access_token=" + TestTokens.Mint("alice", device);
        await using var pinging = await HubDevice.ConnectAsync(server, "pinging", messagePack: true, TestTokens.Mint("alice", "pinging"), keepAlive: TimeSpan.FromSeconds(1));

        // Act, both at once: a hub client that completes the handshake, pings once, then sends nothing
        // (its WebSocket answers WebSocket pings, so only the hub's own timeout can close it; SignalR
        // starts a connection's client timeout at its first ping: a client that never pings is held to
        // the WebSocket's pings only, as a raw WebSocket is), and a hub client whose WebSocket answers no
        // WebSocket ping (a dead peer).
        using var silent = new ClientWebSocket();
        await silent.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/hubs/sync?device_id=silent{Token("silent")}"), CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);
        await silent.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e{\"type\":6}\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);
        var silentClosed = SilentUntilClosedAsync();
        using var mute = await RawWebSocket.ConnectAsync(server, $"/hubs/sync?device_id=mute{Token("mute")}");
        await mute.SendFrameAsync(1, Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"));
        var muteWatch = System.Diagnostics.Stopwatch.StartNew();
        await mute.ReadUntilClosedAsync(Bound);
        var muteClosedAfter = muteWatch.Elapsed;
        var (handshake, pings, silentClosedAfter) = await silentClosed;

        // Assert: the handshake was answered, the server pinged, and it closed both well before
        // SignalR's default 30 s; the pinging device outlived them and still syncs.
        Assert.Equal("{}", handshake);
        Assert.True(pings > 0, "the server sent no SignalR ping");
        Assert.True(silentClosedAfter < TimeSpan.FromSeconds(20), $"the silent hub client was closed after {silentClosedAfter}");
        Assert.True(muteClosedAfter < TimeSpan.FromSeconds(20), $"the mute hub client was closed after {muteClosedAfter}");
        Assert.Equal(HubConnectionState.Connected, pinging.Connection.State);
        await pinging.PutAsync("note:pinging", "still here");
        await ServerAssert.HealthyAsync(server);

        async Task<(string? Handshake, int Pings, TimeSpan ClosedAfter)> SilentUntilClosedAsync()
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (handshake, pings) = await ReadHubUntilClosedAsync(silent, Bound);
            return (handshake, pings, watch.Elapsed);
        }
    }

    /// <summary>Reads SignalR JSON messages until the server closes: the first (the handshake answer) and how many pings came.</summary>
    private static async Task<(string? Handshake, int Pings)> ReadHubUntilClosedAsync(ClientWebSocket socket, TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        string? handshake = null;
        var pings = 0;
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (handshake, pings);
                }

                text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                var all = text.ToString();
                var end = all.LastIndexOf('\u001e');
                if (end < 0)
                {
                    continue;
                }

                foreach (var message in all[..end].Split('\u001e'))
                {
                    if (handshake is null)
                    {
                        handshake = message;
                    }
                    else if (message.Contains("\"type\":6", StringComparison.Ordinal))
                    {
                        pings++;
                    }
                }

                text.Clear().Append(all[(end + 1)..]);
            }
        }
        catch (WebSocketException)
        {
            return (handshake, pings);
        }
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
