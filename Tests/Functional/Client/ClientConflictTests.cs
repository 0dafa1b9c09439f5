using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// Conflicts on the client: the equal-timestamp one reaches both clients, survives a restart, and is resolved; an
/// edit that did not see an unsent write leaves it as a lower sibling; only a write without base loses one.
/// </summary>
public sealed class ClientConflictTests
{
    [Fact]
    public async Task EqualTimestampConflictIsSurfacedAndResolved()
    {
        // Arrange: two devices write the same note at the same Lamport timestamp.
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = ClientKit.Create(server, "dev-a", dirA.Path);
        var b = ClientKit.Create(server, "dev-b", dirB.Path);
        try
        {
            await a.WriteWithTimestampAsync("plans.md", "a's plan", 1000);
            await b.WriteWithTimestampAsync("plans.md", "b's plan", 1000);
            var conflictsSeenByA = new List<RemoteChange>();
            a.RemoteChanged += (_, c) =>
            {
                lock (conflictsSeenByA)
                {
                    conflictsSeenByA.Add(c);
                }
            };

            // Act
            a.Start();
            b.Start();
            await a.SyncBoundedAsync();
            await b.SyncBoundedAsync();
            await a.SyncBoundedAsync();

            // Assert: both hold the conflict; the winner is the greater device id's write.
            await ClientKit.WaitUntilAsync(() => a.GetConflicts().Count == 1 && b.GetConflicts().Count == 1, "the conflict on both");
            foreach (var client in new[] { a, b })
            {
                var conflict = Assert.Single(client.GetConflicts());
                Assert.Equal("plans.md", conflict.Path);
                Assert.Equal(new NoteVersion("b's plan", 1000, "dev-b"), conflict.Winner);
                Assert.Equal(new NoteVersion("a's plan", 1000, "dev-a"), Assert.Single(conflict.Siblings));
                Assert.Equal("b's plan", client.Get("plans.md"));
            }

            // The event is raised once the frame is stored and applied, so it may follow GetConflicts by a moment.
            await ClientKit.WaitUntilAsync(
                () =>
                {
                    lock (conflictsSeenByA)
                    {
                        return conflictsSeenByA.Any(c => c.Path == "plans.md" && c.IsConflict);
                    }
                },
                "a to raise the conflict");

            // The conflict survives a restart of b (its write set is stored, not just the winner).
            await b.DisposeAsync();
            b = ClientKit.Create(server, "dev-b", dirB.Path);
            Assert.Single(b.GetConflicts());
            b.Start();

            // Resolve on a: a write above the conflict's timestamp clears it everywhere.
            await a.ResolveAsync("plans.md", "the merged plan");
            await a.SyncBoundedAsync();
            await b.SyncBoundedAsync();
            await ClientKit.WaitUntilAsync(() => b.Get("plans.md") == "the merged plan", "b sees the resolution");
            Assert.Empty(a.GetConflicts());
            Assert.Empty(b.GetConflicts());
            Assert.Equal("the merged plan", a.Get("plans.md"));
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task WriteReplacedByANewerWriteWithoutBaseBeforeTheServerHadItIsReportedAsLost()
    {
        // Arrange: a script of the original protocol (no base) writes n.md with a higher timestamp while a's
        // older write waits in a's outbox: under the timestamp rule it replaces everything below it, a's too.
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        await using var a = ClientKit.Create(server, "dev-a", dirA.Path);
        await using var script = HttpDevice.Create(server, "script");
        await a.PutAsync("n.md", "a's older write");
        await a.PutAsync("other.md", "not beaten");
        await script.PutAsync("note:n.md", "script's newer write", timestamp: 1000);
        var changes = CollectRemoteChanges(a);

        // Act
        a.Start();
        await a.SyncBoundedAsync();

        // Assert: the change that replaced a's write names it; nothing else is reported lost.
        lock (changes)
        {
            var change = Assert.Single(changes);
            Assert.Equal("script's newer write", change.Value);
            Assert.False(change.IsConflict);
            Assert.Equal(new NoteVersion("a's older write", 1, "dev-a"), change.LostLocalWrite);
        }

        Assert.Equal(new NoteVersion("script's newer write", 1000, "script"), a.GetVersion("n.md"));
        Assert.Empty(a.GetConflicts());
    }

    [Fact]
    public async Task NewerEditThatDidNotSeeAnUnsentWriteLeavesItAsALowerSiblingNotLost()
    {
        // Arrange: b creates n.md with a far higher clock, not having seen a's write, which waits in a's outbox.
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = ClientKit.Create(server, "dev-a", dirA.Path);
        await using var b = ClientKit.Start(server, "dev-b", dirB.Path);
        await a.PutAsync("n.md", "a's older write");
        await b.WriteWithTimestampAsync("n.md", "b's newer write", 1000);
        await b.SyncBoundedAsync();
        var changes = CollectRemoteChanges(a);

        // Act
        a.Start();
        await a.SyncBoundedAsync();
        await b.SyncBoundedAsync();

        // Assert: both are kept on both devices, b's showing, a's below it as a sibling, and nothing reported lost.
        lock (changes)
        {
            var change = Assert.Single(changes);
            Assert.True(change.IsConflict);
            Assert.Null(change.LostLocalWrite);
        }

        foreach (var client in new[] { a, b })
        {
            var conflict = Assert.Single(client.GetConflicts());
            Assert.Equal(new NoteVersion("b's newer write", 1000, "dev-b"), conflict.Winner);
            Assert.Equal(new NoteVersion("a's older write", 1, "dev-a"), Assert.Single(conflict.Siblings));
        }

        // Resolving on a names both versions, so the lower one goes too, everywhere.
        await a.ResolveAsync("n.md", "both");
        await a.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => b.Get("n.md") == "both" && b.GetConflicts().Count == 0, "b to get the resolution");
        Assert.Empty(a.GetConflicts());
    }

    private static List<RemoteChange> CollectRemoteChanges(NoteSyncClient client)
    {
        var changes = new List<RemoteChange>();
        client.RemoteChanged += (_, c) =>
        {
            lock (changes)
            {
                changes.Add(c);
            }
        };
        return changes;
    }
}
