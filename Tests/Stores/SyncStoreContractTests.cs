using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// What every <see cref="ISyncStore"/> must do (docs/protocol.md §1-§3). A store's test class derives from
/// this and says how to make a fresh store and how to reopen it over the same data. xunit makes a
/// new instance per test, so each test starts from <see cref="CreateStoreAsync"/>; spaces carry a
/// per-test prefix as well, so stores that share a server (Redis) need no cleanup between tests.
/// </summary>
public abstract partial class SyncStoreContractTests : IAsyncLifetime
{
    private const int Unlimited = int.MaxValue;

    private readonly List<ISyncStore> _stores = [];
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..12];
    private SpaceQuotas _quotas = SpaceQuotas.Default;
    private HistoryLimits _history = HistoryLimits.Default;

    /// <summary>The store under test; replaced by <see cref="RestartAsync()"/>.</summary>
    private protected ISyncStore Store { get; private set; } = null!;

    /// <summary>A space of this test.</summary>
    protected string SpaceA => $"{_prefix}-a";

    /// <summary>Another space of this test.</summary>
    protected string SpaceB => $"{_prefix}-b";

    /// <summary>A new, empty store for this test, with <paramref name="limits"/> on how far a change may lead the clock.</summary>
    private protected abstract Task<ISyncStore> CreateStoreAsync(ClockLimits limits);

    /// <summary>
    /// A new store instance over the data of the one <see cref="CreateStoreAsync"/> made, as after a
    /// process restart, holding spaces to <paramref name="quotas"/> and keeping <paramref name="history"/>.
    /// The previous instance is disposed before this is called.
    /// </summary>
    private protected abstract Task<ISyncStore> ReopenStoreAsync(SpaceQuotas quotas, HistoryLimits history);

    /// <summary>Runs after every store of the test is disposed: delete files, flush keys.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Store = Track(await CreateStoreAsync(ClockLimits.Default));
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await CleanupAsync();
    }

    /// <summary>Disposes the store and reopens it over the same data, with the same quotas.</summary>
    protected Task RestartAsync() => RestartAsync(_quotas);

    /// <summary>Disposes the store and reopens it over the same data with <paramref name="quotas"/>, as an operator changing them would.</summary>
    private protected Task RestartAsync(SpaceQuotas quotas) => RestartAsync(quotas, _history);

    /// <summary>Disposes the store and reopens it over the same data keeping <paramref name="history"/>, as an operator changing it would.</summary>
    private protected Task RestartAsync(HistoryLimits history) => RestartAsync(_quotas, history);

    private async Task RestartAsync(SpaceQuotas quotas, HistoryLimits history)
    {
        await Store.DisposeAsync();
        _quotas = quotas;
        _history = history;
        Store = Track(await ReopenStoreAsync(quotas, history));
    }

    [Fact]
    public async Task AppliedWriteIsReadBack()
    {
        // Arrange
        var write = new Write(7, "dev-a", "hello");

        // Act
        var result = await ApplyAsync(SpaceA, ("note:a", write));
        var page = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();

        // Assert
        var entry = Assert.Single(page.Entries);
        Assert.Equal("note:a", entry.Key);
        Assert.Equal(7, entry.Seq);
        StateAssert.Equal(EntryState.Of(write), entry.State);
        Assert.False(page.More);
        Assert.Equal(7, page.Cursor);
        Assert.Equal(new ApplyResult(0, 7, result.Changed, result.Superseded) { Epoch = result.Epoch }, result);
        Assert.Equal(7, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task NewSpaceHasCursorZeroAndNoChanges()
    {
        var page = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();

        Assert.Empty(page.Entries);
        Assert.False(page.More);
        Assert.Equal(0, page.Cursor);
        Assert.Equal(0, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task WriteWithTimestampAboveClockMovesClockToTimestamp()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", "x")));

        var result = await ApplyAsync(SpaceA, ("note:b", new Write(1000, "dev-a", "y")));

        Assert.Equal(3, result.PreviousCursor);
        Assert.Equal(1000, result.Cursor);
        Assert.Equal(1000, Assert.Single(result.Changed).Seq);
    }

    [Fact]
    public async Task LowTimestampWriteGetsNextSeqAndReachesDevicesPastItsTimestamp()
    {
        // Arrange: a device with a high clock moved the cursor to 1000.
        await ApplyAsync(SpaceA, ("note:high", new Write(1000, "dev-fast", "x")));
        var seenByOthers = await Store.GetCursorAsync(SpaceA).DefaultTimeout();

        // Act: a device that was offline writes with its low clock.
        var result = await ApplyAsync(SpaceA, ("note:low", new Write(2, "dev-offline", "y")));
        var page = await Store.ReadSinceAsync(SpaceA, seenByOthers, Unlimited, long.MaxValue).DefaultTimeout();

        // Assert: it got seq C+1 and is a change since the others' cursor, despite its timestamp of 2.
        Assert.Equal(1001, result.Cursor);
        var entry = Assert.Single(page.Entries);
        Assert.Equal("note:low", entry.Key);
        Assert.Equal(1001, entry.Seq);
        Assert.Equal(2, entry.State.Timestamp);
        Assert.Equal(1001, page.Cursor);
    }

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

    [Fact]
    public async Task SpacesAreIsolated()
    {
        // Arrange
        var inA = new Write(50, "dev-a", "in a");
        var inB = new Write(3, "dev-b", "in b");

        // Act: the same key in two spaces, the lower timestamp last.
        await ApplyAsync(SpaceA, ("note:same", inA));
        var resultB = await ApplyAsync(SpaceB, ("note:same", inB));

        // Assert: B's write was not compared with A's, nor did it take its seq from A's clock.
        Assert.Equal(0, resultB.PreviousCursor);
        Assert.Equal(3, resultB.Cursor);
        StateAssert.Equal(EntryState.Of(inA), Assert.Single((await ReadAllAsync(SpaceA)).Values).State);
        StateAssert.Equal(EntryState.Of(inB), Assert.Single((await ReadAllAsync(SpaceB)).Values).State);
        Assert.Equal(50, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
        Assert.Equal(3, await Store.GetCursorAsync(SpaceB).DefaultTimeout());
    }

    [Fact]
    public async Task CursorIsStrictlyIncreasingAndChained()
    {
        var previous = 0L;
        var random = new Random(7);
        for (var i = 0; i < 30; i++)
        {
            var result = await ApplyAsync(SpaceA, ($"note:{i}", new Write(random.Next(1, 40), "dev-a", "v")));

            Assert.Equal(previous, result.PreviousCursor);
            Assert.True(result.Cursor > previous, $"cursor {result.Cursor} after {previous}");
            previous = result.Cursor;
        }
    }

    [Fact]
    public async Task EmptyPushReturnsTheCurrentCursor()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(9, "dev-a", "v")));

        var result = await Store.ApplyAsync(SpaceA, []).DefaultTimeout();

        Assert.Equal((9L, 9L), (result.PreviousCursor, result.Cursor));
        Assert.Empty(result.Changed);
    }

    [Fact]
    public async Task ConcurrentPushesAllLandWithUniqueSeqsAndMatchSequentialReplay()
    {
        // Arrange: 50 devices-worth of tasks, 20 pushes each, on few keys with clashing timestamps.
        const int Tasks = 50;
        const int PushesPerTask = 20;
        var pushes = Enumerable.Range(0, Tasks).Select(t =>
        {
            var random = new Random(t);
            return Enumerable.Range(0, PushesPerTask).Select(_ => Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => new KeyedWrite($"note:k{random.Next(20)}", new Write(random.Next(1, 300), $"dev-{t % 5}", random.Next(4) == 0 ? null : $"v{random.Next(3)}")))
                .ToArray()).ToArray();
        }).ToArray();

        // Act
        var results = await Task.WhenAll(pushes.Select(taskPushes => Task.Run(async () =>
        {
            var mine = new List<ApplyResult>();
            foreach (var push in taskPushes)
            {
                mine.Add(await Store.ApplyAsync(SpaceA, push).DefaultTimeout());
            }

            return mine;
        }))).DefaultTimeout();

        // Assert: the pushes that changed something form one unbroken chain of cursors...
        var changing = results.SelectMany(r => r).Where(r => r.Changed.Count > 0).OrderBy(r => r.Cursor).ToList();
        var expectedPrevious = 0L;
        foreach (var result in changing)
        {
            Assert.Equal(expectedPrevious, result.PreviousCursor);
            Assert.All(result.Changed, e => Assert.InRange(e.Seq, result.PreviousCursor + 1, result.Cursor));
            Assert.Equal(result.Cursor, result.Changed[^1].Seq);
            expectedPrevious = result.Cursor;
        }

        var seqs = changing.SelectMany(r => r.Changed).Select(e => e.Seq).ToList();
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        Assert.All(results.SelectMany(r => r).Where(r => r.Changed.Count == 0), r => Assert.Equal(r.PreviousCursor, r.Cursor));
        Assert.Equal(expectedPrevious, await Store.GetCursorAsync(SpaceA).DefaultTimeout());

        // ...and the final state is what any sequential replay of the same writes gives.
        var replay = new LwwMap();
        foreach (var write in pushes.SelectMany(t => t).SelectMany(p => p))
        {
            replay.Apply(write.Key, write.Write);
        }

        var stored = await ReadAllAsync(SpaceA);
        Assert.Equal(replay.Count, stored.Count);
        foreach (var (key, state) in replay.Entries)
        {
            StateAssert.Equal(state, stored[key].State);
        }
    }

    [Fact]
    public async Task StateAndCursorSurviveRestartAndMergeExactlyAfterIt()
    {
        // Arrange
        var fromA = new Write(5, "dev-a", "x");
        var fromB = new Write(5, "dev-b", "y");
        await ApplyAsync(SpaceA, ("note:a", fromA), ("note:a", fromB), ("note:gone", new Write(100, "dev-a", null)));
        await ApplyAsync(SpaceB, ("note:b", new Write(1, "dev-c", "in b")));
        var before = await ReadAllAsync(SpaceA);
        var cursorBefore = await Store.GetCursorAsync(SpaceA).DefaultTimeout();

        // Act
        await RestartAsync();

        // Assert: everything is as it was...
        AssertSameEntries(before, await ReadAllAsync(SpaceA));
        Assert.Equal(cursorBefore, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
        Assert.Equal(1, await Store.GetCursorAsync(SpaceB).DefaultTimeout());

        // ...the whole write set came back, so a re-delivery is still a no-op and a third write joins it...
        var redelivered = await ApplyAsync(SpaceA, ("note:a", fromA));
        Assert.Empty(redelivered.Changed);
        var fromC = new Write(5, "dev-c", "z");
        var joined = await ApplyAsync(SpaceA, ("note:a", fromC));
        Assert.Equal([fromC, fromB, fromA], Assert.Single(joined.Changed).State.Writes.ToArray());

        // ...and the clock goes on from where it was.
        Assert.Equal(cursorBefore, joined.PreviousCursor);
        Assert.Equal(cursorBefore + 1, joined.Cursor);
    }

    [Fact]
    public async Task EveryAnswerOfAWrittenSpaceNamesOneEpochWhichARestartKeeps()
    {
        // Arrange
        var first = await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")));
        var second = await ApplyAsync(SpaceA, ("note:b", new Write(2, "dev-a", "v")));
        var page = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();

        // Act
        await RestartAsync();
        var afterRestart = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();
        var third = await ApplyAsync(SpaceA, ("note:c", new Write(3, "dev-a", "v")));

        // Assert: one name for the history, as long as the store keeps all of it.
        Assert.False(string.IsNullOrEmpty(first.Epoch));
        Assert.All(new[] { second.Epoch, page.Epoch, afterRestart.Epoch, third.Epoch }, e => Assert.Equal(first.Epoch, e));
    }

    [Fact]
    public async Task ChangeLeadingTheClockByMoreThanTheBoundFailsTheWholePush()
    {
        // Arrange
        await ApplyAsync(SpaceA, ("note:a", new Write(10, "dev-a", "v")));
        var bound = 10 + ClockLimits.Default.MaxLead;

        // Act: an honest change first, then one a single tick past the bound.
        var refused = await Assert.ThrowsAsync<ClockLeadException>(() => Store.ApplyAsync(
            SpaceA, [new KeyedWrite("note:b", new Write(11, "dev-a", "honest")), new KeyedWrite("note:c", new Write(bound + 1, "dev-a", "far"))]).DefaultTimeout());
        var atTheBound = await ApplyAsync(SpaceA, ("note:d", new Write(bound, "dev-a", "at the bound")));

        // Assert: the error names the change and the bound; nothing of the push is in; the bound itself is allowed.
        Assert.Equal((1, 10L), (refused.ChangeIndex, refused.Clock));
        Assert.Contains($"changes[1].timestamp must be at most {bound}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(bound, atTheBound.Cursor);
        Assert.Equal(["note:a", "note:d"], (await ReadAllAsync(SpaceA)).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PushesAtTheBoundMoveTheClockOnlyByTheBoundEach()
    {
        // Act: a hundred pushes, each of a change as far ahead as allowed and one as far as 2^53-1.
        for (var i = 0; i < 100; i++)
        {
            var clock = await Store.GetCursorAsync(SpaceA).DefaultTimeout();
            await Assert.ThrowsAsync<ClockLeadException>(() => Store.ApplyAsync(SpaceA, [new KeyedWrite("note:max", new Write(ProtocolLimits.MaxTimestamp, "dev-a", "x"))]).DefaultTimeout());
            await ApplyAsync(SpaceA, ($"note:{i % 3}", new Write(clock + ClockLimits.Default.MaxLead, "dev-a", $"v{i}")));
        }

        // Assert: the clock is a hundred leads on, and the space takes ordinary writes still.
        var cursor = await Store.GetCursorAsync(SpaceA).DefaultTimeout();
        Assert.True(cursor <= 100 * ClockLimits.Default.MaxLead, $"clock {cursor}");
        var next = await ApplyAsync(SpaceA, ("note:after", new Write(cursor + 1, "dev-a", "still writable")));
        Assert.Equal(cursor + 1, next.Cursor);
    }

    [Fact]
    public async Task PushThatCannotBeGivenSeqsFailsWholeAndLeavesOthersAlone()
    {
        // Arrange: a store without a bound on the lead, so the first write takes the clock to 2^53-1 and
        // the second has no seq left to take.
        await Store.DisposeAsync();
        Store = Track(await CreateStoreAsync(new ClockLimits(ProtocolLimits.MaxTimestamp, 10_000)));
        KeyedWrite[] poisoned = [new("note:first", new Write(ProtocolLimits.MaxTimestamp, "dev-a", "x")), new("note:second", new Write(1, "dev-a", "y"))];
        var bystanders = Enumerable.Range(1, 10).Select(i => Store.ApplyAsync(SpaceB, [new KeyedWrite($"note:{i}", new Write(i, "dev-b", "v"))])).ToList();

        // Act
        var failing = Store.ApplyAsync(SpaceA, poisoned);
        bystanders.AddRange(Enumerable.Range(11, 10).Select(i => Store.ApplyAsync(SpaceB, [new KeyedWrite($"note:{i}", new Write(i, "dev-b", "v"))])));

        // Assert: nothing of the failed push is visible, every other push landed.
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => failing.DefaultTimeout());
        await Task.WhenAll(bystanders).DefaultTimeout();
        Assert.Empty(await ReadAllAsync(SpaceA));
        Assert.Equal(0, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
        Assert.Equal(20, (await ReadAllAsync(SpaceB)).Count);
        Assert.Equal(20, await Store.GetCursorAsync(SpaceB).DefaultTimeout());

        // The store still takes pushes to the space afterwards.
        var after = await ApplyAsync(SpaceA, ("note:first", new Write(4, "dev-a", "x")));
        Assert.Equal(4, after.Cursor);
    }

    [Fact]
    public async Task ReadersSeeEachPushWholeOrNotAtAll()
    {
        // Arrange: pushes of ten writes each, recognisable by key prefix.
        const int Pushes = 40;
        const int WritesPerPush = 10;
        using var stop = new CancellationTokenSource();
        var torn = new List<string>();
        var reads = 0;
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var page = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();
                reads++;
                reading.TrySetResult();
                foreach (var group in page.Entries.GroupBy(e => e.Key.Split('/')[0]))
                {
                    if (group.Count() != WritesPerPush)
                    {
                        torn.Add($"{group.Key}: {group.Count()} of {WritesPerPush}");
                    }
                }
            }
        });

        // Act: the pushes start once the reader reads, so it cannot miss them all on a busy machine.
        await reading.Task.DefaultTimeout();
        await Task.WhenAll(Enumerable.Range(0, Pushes).Select(p => Store.ApplyAsync(
            SpaceA,
            [.. Enumerable.Range(0, WritesPerPush).Select(w => new KeyedWrite($"note:p{p}/{w}", new Write(1, "dev-a", "v")))]))).DefaultTimeout();
        await stop.CancelAsync();
        await reader.DefaultTimeout();

        // Assert
        Assert.Empty(torn);
        Assert.True(reads > 0);
        Assert.Equal(Pushes * WritesPerPush, (await ReadAllAsync(SpaceA)).Count);
    }

    [Fact]
    public async Task PushCancelledBeforeItIsQueuedIsNotApplied()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(1, "dev-a", "v"))], cancelled.Token).DefaultTimeout());

        Assert.Empty(await ReadAllAsync(SpaceA));
        Assert.Equal(0, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task StoreIsHealthyUntilDisposedAndThenRefusesPushes()
    {
        Assert.True((await Store.CheckHealthAsync().DefaultTimeout()).IsHealthy);

        await Store.DisposeAsync();

        Assert.Equal(StoreHealth.Unavailable, (await Store.CheckHealthAsync().DefaultTimeout()).Problem);
        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(1, "dev-a", "v"))]).DefaultTimeout());
    }

    [Fact]
    public async Task DisposeCompletesPushesAlreadyQueued()
    {
        var pending = Enumerable.Range(1, 50).Select(i => Store.ApplyAsync(SpaceA, [new KeyedWrite($"note:{i}", new Write(i, "dev-a", "v"))])).ToList();

        await Store.DisposeAsync();

        var results = await Task.WhenAll(pending).DefaultTimeout();
        Assert.Equal(50, results.Max(r => r.Cursor));
        await RestartAsync();
        Assert.Equal(50, (await ReadAllAsync(SpaceA)).Count);
    }

    /// <summary>Applies one push of (key, write) pairs.</summary>
    private protected Task<ApplyResult> ApplyAsync(string space, params (string Key, Write Write)[] writes) =>
        Store.ApplyAsync(space, [.. writes.Select(w => new KeyedWrite(w.Key, w.Write))]).DefaultTimeout();

    /// <summary>The whole space, key to entry, read in one page.</summary>
    private protected async Task<Dictionary<string, StoredEntry>> ReadAllAsync(string space)
    {
        var page = await Store.ReadSinceAsync(space, 0, Unlimited, long.MaxValue).DefaultTimeout();
        Assert.False(page.More);
        return page.Entries.ToDictionary(e => e.Key, StringComparer.Ordinal);
    }

    private static void AssertSameEntries(Dictionary<string, StoredEntry> expected, Dictionary<string, StoredEntry> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, entry) in expected)
        {
            Assert.Equal(entry.Seq, actual[key].Seq);
            StateAssert.Equal(entry.State, actual[key].State);
        }
    }

    private static void AssertPage(ChangePage page, long[] seqs, long cursor, bool more)
    {
        Assert.Equal(seqs, page.Entries.Select(e => e.Seq));
        Assert.Equal(cursor, page.Cursor);
        Assert.Equal(more, page.More);
    }

    private ISyncStore Track(ISyncStore store)
    {
        _stores.Add(store);
        return store;
    }
}
