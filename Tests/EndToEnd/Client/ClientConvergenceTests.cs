using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>Two <see cref="NoteSyncClient"/>s against a real server converge, live or polling, and through an outage.</summary>
public sealed class ClientConvergenceTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwoClientsConverge(bool webSocket)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = ClientKit.Start(server, "dev-a", dirA.Path, webSocket);
        await using var b = ClientKit.Start(server, "dev-b", dirB.Path, webSocket);
        var seenByB = new List<RemoteChange>();
        b.RemoteChanged += (_, change) =>
        {
            lock (seenByB)
            {
                seenByB.Add(change);
            }
        };

        // Act: each writes, then a deletes one of b's notes.
        await a.PutAsync("inbox/from-a.md", "hello from a");
        await b.PutAsync("inbox/from-b.md", "hello from b");
        await b.PutAsync("inbox/doomed.md", "soon gone");
        await a.SyncBoundedAsync();
        await b.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => a.Get("inbox/doomed.md") == "soon gone", "a sees b's notes");
        await a.DeleteAsync("inbox/doomed.md");
        await a.SyncBoundedAsync();

        // Assert: the same notes on both, without either asking (live push or the next poll).
        await ClientKit.WaitUntilAsync(() => b.Get("inbox/doomed.md") is null && b.Get("inbox/from-a.md") == "hello from a", "b follows a");
        Assert.Equal(["inbox/from-a.md", "inbox/from-b.md"], a.List("inbox/"));
        Assert.Equal(a.List(), b.List());
        Assert.Equal(webSocket ? SyncTransport.WebSocket : SyncTransport.Polling, a.Status.Transport);
        Assert.False(a.Status.FellBackToPolling);
        Assert.Equal(0, a.Status.OutboxDepth);
        Assert.Equal(0, b.Status.OutboxDepth);
        // The events are raised after the replica holds the change, so they may come a moment after Get shows it.
        await ClientKit.WaitUntilAsync(
            () =>
            {
                lock (seenByB)
                {
                    return seenByB.Any(c => c.Path == "inbox/from-a.md" && c.Value == "hello from a" && c.DeviceId == "dev-a")
                        && seenByB.Any(c => c.Path == "inbox/doomed.md" && c.Value is null);
                }
            },
            "b's change events for a's note and for the delete");
        lock (seenByB)
        {
            Assert.DoesNotContain(seenByB, c => c.Path == "inbox/from-b.md");
        }
    }

    [Fact]
    public async Task WatchStreamsRemoteChanges()
    {
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = ClientKit.Start(server, "dev-a", dirA.Path);
        await using var b = ClientKit.Start(server, "dev-b", dirB.Path);
        using var cts = new CancellationTokenSource(ClientKit.WaitLimit);
        await b.SyncBoundedAsync();
        var watch = b.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // The first MoveNextAsync registers the watcher before it waits, so the write below is in it.
        var firstRemote = watch.MoveNextAsync().AsTask();
        await a.PutAsync("watched", "v1");
        await a.SyncBoundedAsync();

        Assert.True(await firstRemote.WaitAsync(ClientKit.WaitLimit));
        var change = watch.Current;
        await watch.DisposeAsync();
        Assert.Equal(new RemoteChange("watched", "v1", change.Timestamp, "dev-a", false), change);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OfflineEditsOnBothSidesConvergeWhenTheServerReturns(bool webSocket)
    {
        // Arrange: both synced once, then the server goes away (kill -9).
        await using var server = await ServerProcess.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = ClientKit.Start(server, "dev-a", dirA.Path, webSocket);
        await using var b = ClientKit.Start(server, "dev-b", dirB.Path, webSocket);
        await a.PutAsync("shared/old.md", "before the outage");
        await a.SyncBoundedAsync();
        await b.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => b.Get("shared/old.md") is not null, "b has the old note");
        server.Kill();

        // Act: both edit while the server is down.
        for (var i = 0; i < 20; i++)
        {
            await a.PutAsync($"a/{i}", $"a wrote {i}");
            await b.PutAsync($"b/{i}", $"b wrote {i}");
        }

        await b.DeleteAsync("shared/old.md");
        await ClientKit.WaitUntilAsync(() => a.Status.State == ConnectionState.Offline && b.Status.State == ConnectionState.Offline, "both clients see the outage");
        Assert.Equal(20, a.Status.OutboxDepth);
        Assert.Equal(21, b.Status.OutboxDepth);
        await server.RestartAsync();
        await a.SyncBoundedAsync();
        await b.SyncBoundedAsync();
        await a.SyncBoundedAsync();

        // Assert
        await ClientKit.WaitUntilAsync(() => a.List().Count == 40 && b.List().Count == 40, "40 notes on both");
        Assert.Equal(a.List(), b.List());
        Assert.Null(a.Get("shared/old.md"));
        Assert.Equal("b wrote 19", a.Get("b/19"));
        Assert.Equal("a wrote 0", b.Get("a/0"));
        Assert.Equal(0, a.Status.OutboxDepth);
        Assert.Equal(0, b.Status.OutboxDepth);
        Assert.Contains(a.Status.State, new[] { ConnectionState.Syncing, ConnectionState.Online });
    }
}
