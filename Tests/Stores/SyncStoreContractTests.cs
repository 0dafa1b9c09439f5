using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
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

    private ISyncStore Track(ISyncStore store)
    {
        _stores.Add(store);
        return store;
    }
}
