using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

/// <summary>
/// The base every local write carries (docs/protocol.md §2.2), as <see cref="FakeSyncServer"/> receives it: none
/// for a new note, every head the replica held otherwise, and no base for a forced timestamp that is not above them.
/// </summary>
public sealed class ClientWriteBaseTests
{
    [Fact]
    public async Task EachWriteNamesTheHeadsItWasMadeOn()
    {
        // Arrange: a new note, an edit of it, a forced write at its timestamp (a tie), and a resolution of the tie.
        await using var server = await FakeSyncServer.StartAsync();
        using var dir = new TempDirectory();
        await using var client = new NoteSyncClient(
            new SyncConfig { DeviceId = "solo", SyncEndpoint = server.BaseUri, EnableWebSocket = false, SyncIntervalMs = 100 },
            new NoteSyncClientOptions { DataDirectory = dir.Path, RequestTimeout = TimeSpan.FromSeconds(10) });
        await client.PutAsync("n.md", "v1");
        await client.PutAsync("n.md", "v2");
        await client.WriteWithTimestampAsync("n.md", "tie", 2);
        await client.ResolveAsync("n.md", "resolved");
        await client.WriteManyAsync([new("m.md", "first"), new("m.md", "second")]);

        // Act
        client.Start();
        await client.SyncBoundedAsync();

        // Assert: the tie's two heads are one version (2, solo), named once.
        var sent = server.Pushes.SelectMany(p => p.Push.Changes).ToList();
        Assert.Equal(
            [
                ("note:n.md", 1L, "[]"),
                ("note:n.md", 2L, "[1 solo]"),
                ("note:n.md", 2L, "none"),
                ("note:n.md", 3L, "[2 solo]"),
                ("note:m.md", 4L, "[]"),
                ("note:m.md", 5L, "[4 solo]"),
            ],
            sent.Select(c => (c.Key, c.Timestamp, c.Base is null ? "none" : $"[{string.Join(", ", c.Base.Select(b => $"{b.Timestamp} {b.DeviceId}"))}]")));
        Assert.Equal("resolved", client.Get("n.md"));
        Assert.Empty(client.GetConflicts());
    }
}
