using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>How a store merges writes to one key (docs/protocol.md §2): which write wins, what is a conflict, what is superseded.</summary>
public abstract partial class SyncStoreContractTests
{
    [Fact]
    public async Task OlderWriteIsIgnoredAndTakesNoSeq()
    {
        var newer = new Write(10, "dev-a", "new");
        await ApplyAsync(SpaceA, ("note:a", newer));

        var result = await ApplyAsync(SpaceA, ("note:a", new Write(9, "dev-z", "old")));

        Assert.Empty(result.Changed);
        Assert.Equal(10, result.PreviousCursor);
        Assert.Equal(10, result.Cursor);
        StateAssert.Equal(EntryState.Of(newer), (await ReadAllAsync(SpaceA))["note:a"].State);
        Assert.Empty((await Store.ReadSinceAsync(SpaceA, 10, Unlimited, long.MaxValue).DefaultTimeout()).Entries);
        var beaten = Assert.Single(result.Superseded);
        Assert.Equal("note:a", beaten.Key);
        StateAssert.Equal(EntryState.Of(newer), beaten.State);
    }

    [Fact]
    public async Task RedeliveredWriteIsNotReportedAsSuperseded()
    {
        var write = new Write(4, "dev-a", "v");
        await ApplyAsync(SpaceA, ("note:a", write));

        var again = await ApplyAsync(SpaceA, ("note:a", write));

        Assert.Empty(again.Changed);
        Assert.Empty(again.Superseded);
    }

    [Fact]
    public async Task KeyThatLosesTwiceInOnePushIsReportedOnce()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(10, "dev-a", "v")));

        var result = await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-b", "x")), ("note:a", new Write(4, "dev-b", "y")));

        Assert.Equal("note:a", Assert.Single(result.Superseded).Key);
    }

    [Fact]
    public async Task KeySupersededThenChangedInOnePushIsReportedOnlyAsChanged()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(10, "dev-a", "v")));

        var result = await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-b", "old")), ("note:a", new Write(11, "dev-b", "new")));

        Assert.Equal("note:a", Assert.Single(result.Changed).Key);
        Assert.Empty(result.Superseded);
    }

    [Fact]
    public async Task MergeWithEqualTimestampKeepsGreaterDeviceIdAndReportsConflict()
    {
        // Arrange
        var fromA = new Write(5, "dev-a", "zzz");
        var fromB = new Write(5, "dev-b", "aaa");

        // Act
        await ApplyAsync(SpaceA, ("note:a", fromA));
        var result = await ApplyAsync(SpaceA, ("note:a", fromB));

        // Assert: device id decides before value; the loser stays as a sibling.
        var state = Assert.Single(result.Changed).State;
        Assert.Equal(fromB, state.Winner);
        Assert.True(state.IsConflict);
        Assert.Equal([fromA], state.Siblings);
        Assert.Equal(6, result.Cursor);
        StateAssert.Equal(state, (await ReadAllAsync(SpaceA))["note:a"].State);
    }

    [Fact]
    public async Task MergeWithEqualTimestampAndDeviceKeepsGreaterValueWithNullLowest()
    {
        var delete = new Write(5, "dev-a", null);
        var empty = new Write(5, "dev-a", "");
        var text = new Write(5, "dev-a", "b");

        await ApplyAsync(SpaceA, ("note:a", text), ("note:a", delete), ("note:a", empty));

        var state = (await ReadAllAsync(SpaceA))["note:a"].State;
        Assert.Equal([text, empty, delete], state.Writes.ToArray());
        Assert.True(state.IsConflict);
    }

    [Fact]
    public async Task EqualWritesWithTheSameValueAreNoConflict()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(5, "dev-a", "same")), ("note:a", new Write(5, "dev-b", "same")));

        var state = (await ReadAllAsync(SpaceA))["note:a"].State;

        Assert.Equal(2, state.Writes.Length);
        Assert.False(state.IsConflict);
        Assert.Empty(state.Siblings);
    }

    [Fact]
    public async Task ReapplyingTheSamePushChangesNothing()
    {
        (string, Write)[] push = [("note:a", new Write(5, "dev-a", "x")), ("note:a", new Write(5, "dev-b", "y")), ("note:b", new Write(6, "dev-a", null))];
        var first = await ApplyAsync(SpaceA, push);
        var before = await ReadAllAsync(SpaceA);

        var again = await ApplyAsync(SpaceA, push);

        Assert.Empty(again.Changed);
        Assert.Equal(first.Cursor, again.PreviousCursor);
        Assert.Equal(first.Cursor, again.Cursor);
        AssertSameEntries(before, await ReadAllAsync(SpaceA));
    }

    [Fact]
    public async Task HigherTimestampClearsConflict()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(5, "dev-a", "x")), ("note:a", new Write(5, "dev-b", "y")));
        var resolution = new Write(6, "dev-a", "merged by hand");

        var result = await ApplyAsync(SpaceA, ("note:a", resolution));

        var state = Assert.Single(result.Changed).State;
        StateAssert.Equal(EntryState.Of(resolution), state);
        Assert.False(state.IsConflict);
    }

    [Fact]
    public async Task DeleteWinsOverOlderWriteAndDoesNotResurrect()
    {
        // Arrange
        await ApplyAsync(SpaceA, ("note:a", new Write(5, "dev-a", "x")));
        var delete = new Write(6, "dev-b", null);

        // Act: the delete, then a write that is older than it arrives late.
        await ApplyAsync(SpaceA, ("note:a", delete));
        var late = await ApplyAsync(SpaceA, ("note:a", new Write(5, "dev-z", "late")));

        // Assert
        Assert.Empty(late.Changed);
        StateAssert.Equal(EntryState.Of(delete), (await ReadAllAsync(SpaceA))["note:a"].State);
    }

    [Fact]
    public async Task DeleteLosesToNewerWrite()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(7, "dev-b", null)));
        var recreate = new Write(8, "dev-a", "back");

        await ApplyAsync(SpaceA, ("note:a", recreate));

        StateAssert.Equal(EntryState.Of(recreate), (await ReadAllAsync(SpaceA))["note:a"].State);
    }
}
