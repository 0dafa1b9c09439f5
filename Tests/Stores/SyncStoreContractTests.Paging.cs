using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>What a push reports and a read of changes returns (docs/protocol.md §3.3): each key once, in seq order, paged by count and bytes.</summary>
public abstract partial class SyncStoreContractTests
{
    [Fact]
    public async Task ApplyResultListsEachChangedKeyOnceWithFinalStateInSeqOrder()
    {
        var last = new Write(3, "dev-a", "a2");

        var result = await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a1")), ("note:b", new Write(2, "dev-a", "b1")), ("note:a", last), ("note:c", new Write(1, "dev-a", "stale but new")));

        Assert.Equal(["note:b", "note:a", "note:c"], result.Changed.Select(e => e.Key));
        Assert.Equal([2L, 3L, 4L], result.Changed.Select(e => e.Seq));
        StateAssert.Equal(EntryState.Of(last), result.Changed[1].State);
        Assert.Equal(0, result.PreviousCursor);
        Assert.Equal(4, result.Cursor);
    }

    [Fact]
    public async Task ChangesSinceReturnEachKeyOnceWithLatestStateInSeqOrder()
    {
        // Arrange
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a1")));
        var mark = (await ApplyAsync(SpaceA, ("note:b", new Write(2, "dev-a", "b1")))).Cursor;
        await ApplyAsync(SpaceA, ("note:c", new Write(3, "dev-a", "c1")));
        var latestA = new Write(4, "dev-b", "a2");
        await ApplyAsync(SpaceA, ("note:a", latestA));

        // Act
        var all = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();
        var since = await Store.ReadSinceAsync(SpaceA, mark, Unlimited, long.MaxValue).DefaultTimeout();

        // Assert
        Assert.Equal(["note:b", "note:c", "note:a"], all.Entries.Select(e => e.Key));
        Assert.Equal([2L, 3L, 4L], all.Entries.Select(e => e.Seq));
        StateAssert.Equal(EntryState.Of(latestA), all.Entries[2].State);
        Assert.Equal(["note:c", "note:a"], since.Entries.Select(e => e.Key));
        Assert.Equal(4, since.Cursor);
    }

    [Fact]
    public async Task PagingByMaxChangesSetsMoreAndCursorAtLastEntry()
    {
        // Arrange: five keys with seqs 1..5.
        for (var i = 1; i <= 5; i++)
        {
            await ApplyAsync(SpaceA, ($"note:{i}", new Write(i, "dev-a", "v")));
        }

        // Act
        var first = await Store.ReadSinceAsync(SpaceA, 0, 2, long.MaxValue).DefaultTimeout();
        var second = await Store.ReadSinceAsync(SpaceA, first.Cursor, 2, long.MaxValue).DefaultTimeout();
        var third = await Store.ReadSinceAsync(SpaceA, second.Cursor, 2, long.MaxValue).DefaultTimeout();

        // Assert
        AssertPage(first, [1, 2], cursor: 2, more: true);
        AssertPage(second, [3, 4], cursor: 4, more: true);
        AssertPage(third, [5], cursor: 5, more: false);
    }

    [Fact]
    public async Task PageThatEndsExactlyAtTheLastEntryHasNoMore()
    {
        await ApplyAsync(SpaceA, ("note:1", new Write(1, "dev-a", "v")), ("note:2", new Write(2, "dev-a", "v")));

        var page = await Store.ReadSinceAsync(SpaceA, 0, 2, long.MaxValue).DefaultTimeout();

        Assert.Equal(2, page.Entries.Count);
        Assert.False(page.More);
        Assert.Equal(2, page.Cursor);
    }

    [Fact]
    public async Task PagingByMaxBytesStopsBeforeTheEntryThatWouldOverflow()
    {
        // Arrange: three entries of about 300 bytes each.
        var value = new string('x', 100);
        var applied = await ApplyAsync(SpaceA, ("note:1", new Write(1, "dev-a", value)), ("note:2", new Write(2, "dev-a", value)), ("note:3", new Write(3, "dev-a", value)));
        var twoEntries = applied.Changed[0].EstimatedWireBytes + applied.Changed[1].EstimatedWireBytes;

        // Act
        var first = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, twoEntries).DefaultTimeout();
        var rest = await Store.ReadSinceAsync(SpaceA, first.Cursor, Unlimited, twoEntries).DefaultTimeout();

        // Assert
        Assert.Equal(["note:1", "note:2"], first.Entries.Select(e => e.Key));
        Assert.True(first.More);
        Assert.Equal(2, first.Cursor);
        Assert.Equal(["note:3"], rest.Entries.Select(e => e.Key));
        Assert.False(rest.More);
        Assert.Equal(3, rest.Cursor);
    }

    [Fact]
    public async Task PageAlwaysHoldsOneEntryEvenWhenItExceedsMaxBytes()
    {
        var big = new string('x', 10_000);
        await ApplyAsync(SpaceA, ("note:1", new Write(1, "dev-a", big)), ("note:2", new Write(2, "dev-a", big)));

        var first = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, 0).DefaultTimeout();
        var second = await Store.ReadSinceAsync(SpaceA, first.Cursor, Unlimited, 0).DefaultTimeout();

        Assert.Equal("note:1", Assert.Single(first.Entries).Key);
        Assert.True(first.More);
        Assert.Equal(1, first.Cursor);
        Assert.Equal("note:2", Assert.Single(second.Entries).Key);
        Assert.False(second.More);
        Assert.Equal(2, second.Cursor);
    }

    [Fact]
    public async Task PagesWalkedToTheEndHoldEveryChangeOnce()
    {
        var written = new List<string>();
        for (var i = 0; i < 37; i++)
        {
            written.Add($"note:{i}");
            await ApplyAsync(SpaceA, ($"note:{i}", new Write(1, "dev-a", new string('v', i * 7))));
        }

        var seen = new List<string>();
        var cursor = 0L;
        ChangePage page;
        do
        {
            page = await Store.ReadSinceAsync(SpaceA, cursor, 5, 1000).DefaultTimeout();
            Assert.NotEmpty(page.Entries);
            seen.AddRange(page.Entries.Select(e => e.Key));
            cursor = page.Cursor;
        }
        while (page.More);

        Assert.Equal(written, seen);
        Assert.Equal(await Store.GetCursorAsync(SpaceA).DefaultTimeout(), cursor);
    }

    private static void AssertPage(ChangePage page, long[] seqs, long cursor, bool more)
    {
        Assert.Equal(seqs, page.Entries.Select(e => e.Seq));
        Assert.Equal(cursor, page.Cursor);
        Assert.Equal(more, page.More);
    }
}
