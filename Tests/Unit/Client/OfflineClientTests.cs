using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

/// <summary>A client that is never started (no server at all): the local API and its persistence.</summary>
public sealed class OfflineClientTests
{
    private static NoteSyncClient Open(string dir) => new(
        new SyncConfig { DeviceId = "solo", SyncEndpoint = new Uri("http://127.0.0.1:9/") },
        new NoteSyncClientOptions { DataDirectory = dir });

    [Fact]
    public async Task PutGetListDeleteWorkOfflineAndSurviveAReopen()
    {
        using var dir = new TempDirectory();
        await using (var client = Open(dir.Path))
        {
            await client.PutAsync("work/a.md", "A");
            await client.PutAsync("work/b.md", "B");
            await client.PutAsync("home/c.md", "C");
            await client.DeleteAsync("work/b.md");
            Assert.Equal("A", client.Get("work/a.md"));
            Assert.Null(client.Get("work/b.md"));
            Assert.Null(client.Get("never"));
            Assert.Equal(["work/a.md"], client.List("work/"));
            Assert.Equal(4, client.Status.OutboxDepth);
            Assert.Equal(ConnectionState.Offline, client.Status.State);
        }

        await using var reopened = Open(dir.Path);
        Assert.Equal(["home/c.md", "work/a.md"], reopened.List());
        Assert.Equal(4, reopened.Status.OutboxDepth);
        Assert.Equal(4, reopened.Clock);
    }

    [Fact]
    public async Task WriteManyIsOneWriteAfterAnotherInOrderAndAllOrNothing()
    {
        using var dir = new TempDirectory();
        await using (var client = Open(dir.Path))
        {
            await client.PutAsync("gone.md", "soon deleted");
            await client.WriteManyAsync([new("a.md", "A1"), new("b.md", "B"), new("a.md", "A2"), new("gone.md", null)]);

            // A bad path anywhere refuses the whole call: the good write before it is not made either.
            await Assert.ThrowsAsync<ArgumentException>(() => client.WriteManyAsync([new("c.md", "C"), new("", "bad")]));
            Assert.Equal("A2", client.Get("a.md"));
            Assert.Null(client.Get("c.md"));
            Assert.Equal(5, client.Clock);
            Assert.Equal(5, client.Status.OutboxDepth);
        }

        await using var reopened = Open(dir.Path);
        Assert.Equal(["a.md", "b.md"], reopened.List());
        Assert.Equal("A2", reopened.Get("a.md"));
        Assert.Equal(new NoteVersion(null, 5, "solo"), reopened.GetVersion("gone.md"));
        Assert.Equal(5, reopened.Status.OutboxDepth);
    }

    [Fact]
    public async Task BadPathsAreRefusedAtTheCall()
    {
        using var dir = new TempDirectory();
        await using var client = Open(dir.Path);
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync("", "x"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync(new string('x', 2000), "x"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.SyncNowAsync());
    }

    [Fact]
    public async Task ResolveWritesAboveTheConflictTimestamp()
    {
        using var dir = new TempDirectory();
        await using var client = Open(dir.Path);
        await client.WriteWithTimestampAsync("n", "old", 500);
        await client.ResolveAsync("n", "new");
        Assert.Equal(501, client.Clock);
        Assert.Equal("new", client.Get("n"));
    }

    [Fact]
    public async Task SyncNowWaitsThroughAnOutageUntilCancelled()
    {
        // Arrange: a started client whose server does not exist (port 9, discard: refused).
        using var dir = new TempDirectory();
        await using var client = Open(dir.Path);
        client.Start();
        await client.PutAsync("queued", "kept");

        // Act
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SyncNowAsync(cts.Token));

        // Assert: the write is still queued, and the client says it is offline or trying.
        Assert.Equal(1, client.Status.OutboxDepth);
        Assert.Contains(client.Status.State, new[] { ConnectionState.Offline, ConnectionState.Connecting, ConnectionState.Syncing });
    }
}
