using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// A slow uplink still makes progress: a push's deadline grows with its size, and after a timeout the
/// pushes are smaller, so a batch that takes longer to upload than the fixed request timeout is not
/// cut and sent again, whole, forever.
/// </summary>
public sealed class ClientSlowUplinkTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task ABatchSlowerToUploadThanTheRequestTimeoutGetsThrough(bool webSocket, bool timeoutsFirst)
    {
        // Arrange: a 100 KB/s uplink; 300 KB of notes, three seconds of upload in one batch, against a 1 s
        // request timeout. With timeoutsFirst the upload's share is too small too (1 MB/s assumed), so
        // only smaller pushes after a timeout get through (one note: half a second).
        await using var server = await InProcessServer.StartAsync();
        await using var proxy = new UplinkProxy(server.Port, bytesPerSecond: 100_000);
        using var dir = new TempDirectory();
        var options = new NoteSyncClientOptions
        {
            DataDirectory = dir.Path,
            MinReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(1),
        };
        if (timeoutsFirst)
        {
            options.MinUploadBytesPerSecond = 1_000_000;
        }

        await using var client = new NoteSyncClient(new SyncConfig { DeviceId = "slow", SyncEndpoint = proxy.BaseUri, EnableWebSocket = webSocket, SyncIntervalMs = 200 }, options);
        await client.WriteManyAsync([.. Enumerable.Range(0, 6).Select(i => new KeyValuePair<string, string?>($"n{i}.md", new string((char)('a' + i), 50_000)))]);

        // Act
        client.Start();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await client.SyncNowAsync(bound.Token);

        // Assert: every note is on the server, and the outbox is empty.
        Assert.Equal(0, client.Status.OutboxDepth);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        var held = observer.Snapshot();
        Assert.Equal(6, held.Count);
        Assert.All(held.Values, v => Assert.Equal(50_000, v.Length));
    }
}
