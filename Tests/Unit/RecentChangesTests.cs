using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Sync;
using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Unit;

/// <summary>Recent changes are kept only for spaces with a live listener, so memory follows live spaces.</summary>
public sealed class RecentChangesTests
{
    private static readonly ApplyResult Commit = new(0, 5, [new StoredEntry("note:a", 5, EntryState.Of(new Write(5, "d", "v")))], []);

    [Fact]
    public void SpaceIsCachedOnlyWhileRetained()
    {
        // Arrange
        var recent = new RecentChanges(Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions()));

        // Act / Assert: no listener, no window.
        recent.OnApplied("s", Commit);
        Assert.False(recent.TryRead("s", 0, 10, long.MaxValue, out _));

        var first = recent.Retain("s");
        var second = recent.Retain("s");
        recent.OnApplied("s", Commit);
        Assert.True(recent.TryRead("s", 0, 10, long.MaxValue, out var page));
        Assert.Equal("note:a", Assert.Single(page.Entries).Key);

        first.Dispose();
        Assert.True(recent.TryRead("s", 0, 10, long.MaxValue, out _));
        second.Dispose();
        second.Dispose();
        Assert.False(recent.TryRead("s", 0, 10, long.MaxValue, out _));
    }

    [Fact]
    public void ZeroCapacityCachesNothing()
    {
        var recent = new RecentChanges(Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions { Sync = new SyncOptions { RecentChangesPerSpace = 0 } }));

        using var held = recent.Retain("s");
        recent.OnApplied("s", Commit);

        Assert.False(recent.TryRead("s", 0, 10, long.MaxValue, out _));
    }
}
