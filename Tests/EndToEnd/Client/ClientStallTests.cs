using Microsoft.Extensions.Logging;
using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>
/// An uplink that stops carrying bytes in the middle of a push: the push is abandoned after
/// <see cref="NoteSyncClientOptions.UploadStallTimeout"/>, not after its size allowance, and sent again
/// smaller over a new connection.
/// </summary>
public sealed class ClientStallTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APushWhoseUploadStallsIsAbandonedAfterTheStallTimeoutAndGoesAgainSmaller(bool webSocket)
    {
        // Arrange: a proxy whose first connection stops carrying the uplink after 100 KB; 7.2 MB of notes in
        // one push (more than the socket buffers take, so the client's send itself stops); a size allowance
        // that would wait hours (1 KB/s) and a 2 s stall timeout.
        await using var server = await InProcessServer.StartAsync();
        await using var proxy = new UplinkProxy(server.Port, stallFirstConnectionAfterBytes: 100_000);
        using var dir = new TempDirectory();
        var logger = new ListLogger();
        var options = new NoteSyncClientOptions
        {
            DataDirectory = dir.Path,
            Logger = logger,
            MinReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(60),
            MinUploadBytesPerSecond = 1_000,
            MaxPushBytes = 8 * 1024 * 1024,
            UploadStallTimeout = TimeSpan.FromSeconds(2),
        };
        await using var client = new NoteSyncClient(new SyncConfig { DeviceId = "stalled", SyncEndpoint = proxy.BaseUri, EnableWebSocket = webSocket, SyncIntervalMs = 200 }, options);
        await client.WriteManyAsync([.. Enumerable.Range(0, 8).Select(i => new KeyValuePair<string, string?>($"n{i}.md", new string((char)('a' + i), 900_000)))]);

        // Act: bounded well within the first push's size allowance.
        client.Start();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        await client.SyncNowAsync(bound.Token);

        // Assert: the stall was the reason, and every note is on the server.
        Assert.True(proxy.Stalled, "the proxy never stalled a connection");
        Assert.Contains(logger.Lines, l => l.Message.Contains("made no progress for 2 s", StringComparison.Ordinal));
        Assert.Equal(0, client.Status.OutboxDepth);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(8, observer.Snapshot().Count);
        Assert.All(observer.Snapshot().Values, v => Assert.Equal(900_000, v.Length));
        Assert.DoesNotContain(logger.Lines, l => l.Level >= LogLevel.Error);
    }
}
