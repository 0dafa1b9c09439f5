using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>The contract suite against <see cref="SqliteSyncStore"/>, each test on its own temp directory, plus SQLite specifics.</summary>
public sealed partial class SqliteSyncStoreTests : SyncStoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    private SqliteSyncStore Sqlite => (SqliteSyncStore)Store;

    private protected override Task<ISyncStore> CreateStoreAsync(ClockLimits limits) => Task.FromResult<ISyncStore>(Open(limits));

    private protected override Task<ISyncStore> ReopenStoreAsync(SpaceQuotas quotas, HistoryLimits history) =>
        Task.FromResult<ISyncStore>(Open(quotas: quotas, history: history));

    protected override Task CleanupAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    // The stores are closed by then (CleanupAsync ran); deleting twice is harmless.
    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task DatabaseIsInWalModeWithFullSynchronousWrites()
    {
        await using var connection = OpenSideConnection();

        var journalMode = SqliteSchema.ScalarString(connection, "PRAGMA journal_mode");

        Assert.Equal("wal", journalMode);
        Assert.Equal(SqliteSchema.PageSize, SqliteSchema.ScalarInt64(connection, "PRAGMA page_size"));
        Assert.Equal(2, Sqlite.Synchronous);
        Assert.Equal(Path.Combine(_directory.Path, "notesync.db"), Sqlite.DatabasePath);
    }

    [Fact]
    public async Task ChangesSinceIsARangeReadOnTheSpaceSeqIndex()
    {
        // Arrange: some rows in two spaces, so the planner has something to choose between.
        for (var i = 1; i <= 20; i++)
        {
            await ApplyAsync(i % 2 == 0 ? SpaceA : SpaceB, ($"note:{i}", new Write(i, "dev-a", "v")));
        }

        await using var connection = OpenSideConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteSchema.ReadSinceSql;
        command.Parameters.AddWithValue("$space", SpaceA);
        command.Parameters.AddWithValue("$after", 4L);
        command.Parameters.AddWithValue("$limit", 100L);

        // Act
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        // Assert
        Assert.Contains(plan, step => step.Contains("entries_space_seq", StringComparison.Ordinal) && step.Contains("seq>?", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN entries", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DataDirectoryIsCreatedWhenMissing()
    {
        var nested = Path.Combine(_directory.Path, "does", "not", "exist");

        await using var store = new SqliteSyncStore(nested, NullLogger.Instance);
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(1, "dev-a", "v"))]).DefaultTimeout();

        Assert.True(File.Exists(Path.Combine(nested, "notesync.db")));
    }

    [Fact]
    public async Task ASecondStoreOnTheSameDirectoryIsRefusedUntilTheFirstIsClosed()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")));

        var refused = Assert.Throws<DataDirectoryLockedException>(() => Open());
        await RestartAsync();

        Assert.Contains(_directory.Path, refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task ConflictKeepsItsOtherWritesInCompactJson()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(5, "dev-a", "x\u00e9")), ("note:a", new Write(5, "dev-b", "y")), ("note:a", new Write(5, "dev-a", null)));
        await using var connection = OpenSideConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT device_id, value, others FROM entries WHERE space = $space AND key = 'note:a'";
        command.Parameters.AddWithValue("$space", SpaceA);

        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("dev-b", reader.GetString(0));
        Assert.Equal("y", reader.GetString(1));
        Assert.Equal("[[\"dev-a\",\"x\u00e9\"],[\"dev-a\",null]]", reader.GetString(2));
    }

    [Fact]
    public async Task FailingPushInAGroupRollsBackAloneWhileTheRestCommitTogether()
    {
        // Arrange: hold the database's write lock so pushes pile up into one group, and install a
        // trigger that makes any push touching note:poison fail inside SQLite.
        await ApplyAsync(SpaceA, ("note:warm", new Write(1, "dev-a", "v")));
        var groupsBefore = Sqlite.CommittedGroups;
        await using var holder = OpenSideConnection();
        var lockTransaction = holder.BeginTransaction(deferred: false);
        await using (var trigger = holder.CreateCommand())
        {
            trigger.Transaction = lockTransaction;
            trigger.CommandText = "CREATE TRIGGER poison BEFORE INSERT ON entries WHEN NEW.key = 'note:poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END";
            await trigger.ExecuteNonQueryAsync();
        }

        var before = Enumerable.Range(0, 10).Select(i => Store.ApplyAsync(SpaceA, [new KeyedWrite($"note:before{i}", new Write(1, "dev-a", "v"))])).ToList();
        var poisoned = Store.ApplyAsync(SpaceA, [new KeyedWrite("note:innocent", new Write(1, "dev-a", "v")), new KeyedWrite("note:poison", new Write(2, "dev-a", "v"))]);
        var after = Enumerable.Range(0, 10).Select(i => Store.ApplyAsync(SpaceA, [new KeyedWrite($"note:after{i}", new Write(1, "dev-a", "v"))])).ToList();
        await Task.Delay(200);

        // Act
        await lockTransaction.CommitAsync();
        await lockTransaction.DisposeAsync();

        // Assert: only the poisoned push failed, none of it is visible, and its seqs were not burnt.
        var error = await Assert.ThrowsAsync<SqliteException>(() => poisoned.DefaultTimeout());
        Assert.Contains("poisoned", error.Message, StringComparison.Ordinal);
        var results = await Task.WhenAll(before.Concat(after)).DefaultTimeout();
        Assert.Equal(Enumerable.Range(2, 20).Select(i => (long)i), results.Select(r => r.Cursor).Order());
        var stored = await ReadAllAsync(SpaceA);
        Assert.Equal(21, stored.Count);
        Assert.DoesNotContain("note:innocent", stored.Keys);
        Assert.Equal(21, await Store.GetCursorAsync(SpaceA).DefaultTimeout());

        // Twenty-one pushes took at most two commits: the one that was waiting for the lock, and the rest.
        Assert.InRange(Sqlite.CommittedGroups - groupsBefore, 1, 2);
    }

    [Fact]
    public async Task CancellationAfterTheWriterTookThePushDoesNotStopIt()
    {
        // Arrange: with the write lock held elsewhere, the writer takes the push and then waits for the lock.
        await using var holder = OpenSideConnection();
        var lockTransaction = holder.BeginTransaction(deferred: false);
        using var cancellation = new CancellationTokenSource();
        var taken = Store.ApplyAsync(SpaceA, [new KeyedWrite("note:taken", new Write(1, "dev-a", "v"))], cancellation.Token);
        await WaitUntilQueueIsEmptyAsync();

        // Act
        await cancellation.CancelAsync();
        await lockTransaction.CommitAsync();
        await lockTransaction.DisposeAsync();

        // Assert: it ran to the end, as a push already in a transaction must.
        var result = await taken.DefaultTimeout();
        Assert.Equal("note:taken", Assert.Single(result.Changed).Key);
        Assert.Contains("note:taken", (await ReadAllAsync(SpaceA)).Keys);
    }

    [Fact]
    public async Task CancellationWhileQueuedDropsThePush()
    {
        // Arrange: the writer is stuck on a first push, so the second one stays queued.
        await using var holder = OpenSideConnection();
        var lockTransaction = holder.BeginTransaction(deferred: false);
        var first = Store.ApplyAsync(SpaceA, [new KeyedWrite("note:first", new Write(1, "dev-a", "v"))]);
        await WaitUntilQueueIsEmptyAsync();
        using var cancellation = new CancellationTokenSource();
        var queued = Store.ApplyAsync(SpaceA, [new KeyedWrite("note:queued", new Write(2, "dev-a", "v"))], cancellation.Token);

        // Act: cancelling returns at once, while the writer is still blocked.
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.DefaultTimeout());
        await lockTransaction.CommitAsync();
        await lockTransaction.DisposeAsync();

        // Assert
        await first.DefaultTimeout();
        Assert.Equal(["note:first"], (await ReadAllAsync(SpaceA)).Keys);
        Assert.Equal(1, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task ReadsDoNotWaitForTheWriteLock()
    {
        // Arrange
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")));
        await using var holder = OpenSideConnection();
        await using var lockTransaction = holder.BeginTransaction(deferred: false);

        // Act: WAL readers work from a snapshot; none of them should need the lock the writer wants.
        var page = await Store.ReadSinceAsync(SpaceA, 0, 10, long.MaxValue).WaitAsync(TimeSpan.FromSeconds(5));
        var cursor = await Store.GetCursorAsync(SpaceA).WaitAsync(TimeSpan.FromSeconds(5));
        var health = await Store.CheckHealthAsync().WaitAsync(TimeSpan.FromSeconds(5));

        // Assert
        Assert.Single(page.Entries);
        Assert.Equal(1, cursor);
        Assert.True(health.IsHealthy, health.Reason);
    }

    [Fact]
    public async Task ACopyMarkedByTheBackupCommandGetsANewEpochOnceWhenOpened()
    {
        // Arrange
        var before = (await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")))).Epoch;
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            SqliteEpoch.MarkForRenewal(connection);
        }

        // Act: opened as a restored backup, then once more.
        var restored = Open();
        var renewed = (await restored.ReadSinceAsync(SpaceA, 0, 10, long.MaxValue).DefaultTimeout()).Epoch;
        await restored.DisposeAsync();
        await using var again = Open();
        var kept = (await again.ReadSinceAsync(SpaceA, 0, 10, long.MaxValue).DefaultTimeout()).Epoch;

        // Assert: a new name for the restored history, kept from then on; the data is untouched.
        Assert.NotEqual(before, renewed);
        Assert.Equal(renewed, kept);
        Assert.Equal(1, await again.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task AVersion3DatabaseReadsAsItWasAndTakesWritesWithABaseOnceOpened()
    {
        // Arrange: a conflict of two tied writes, stored by schema 3 (no replaced column).
        var laptop = new Write(4, "laptop", "from the laptop");
        var phone = new Write(4, "phone", "from the phone");
        await ApplyAsync(SpaceA, ("note:a", laptop), ("note:b", new Write(2, "laptop", "plain")));
        await ApplyAsync(SpaceA, ("note:a", phone));
        var before = await ReadAllAsync(SpaceA);
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            SqliteSchema.ScalarString(connection, "ALTER TABLE entries DROP COLUMN replaced");
            SqliteSchema.ScalarString(connection, "PRAGMA user_version = 3");
        }

        // Act
        await using var upgraded = Open();
        var page = await upgraded.ReadSinceAsync(SpaceA, 0, 100, long.MaxValue).DefaultTimeout();
        var edit = new Write(9, "tablet", "merged by hand");
        await upgraded.ApplyAsync(SpaceA, [new KeyedWrite("note:a", edit, [VersionId.Of(phone)])]).DefaultTimeout();
        var after = await upgraded.ReadSinceAsync(SpaceA, 0, 100, long.MaxValue).DefaultTimeout();

        // Assert: the old rows read as before (the tie at 4 replaced everything below it); the write
        // that named only the phone's version leaves the laptop's beside it.
        Assert.All(page.Entries, e => StateAssert.Equal(before[e.Key].State, e.State));
        Assert.Equal(ReplacedVersions.Of(4, []), page.Entries.Single(e => e.Key == "note:a").State.Replaced);
        var a = after.Entries.Single(e => e.Key == "note:a").State;
        Assert.Equal([edit, laptop], a.Writes.ToArray());
        Assert.Equal(ReplacedVersions.Of(4, [VersionId.Of(phone)]), a.Replaced);
        await using (var connection = OpenSideConnection())
        {
            Assert.Equal(SqliteSchema.Version, SqliteSchema.ScalarInt64(connection, "PRAGMA user_version"));
        }
    }

    [Fact]
    public async Task DatabaseWithNewerSchemaIsRefused()
    {
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            SqliteSchema.ScalarString(connection, "PRAGMA user_version = 99");
        }

        var error = Assert.Throws<InvalidOperationException>(() => Open());

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    // The writer has taken everything queued; give it a moment to reach its (blocked) BEGIN.
    private async Task WaitUntilQueueIsEmptyAsync()
    {
        var deadline = DateTime.UtcNow + TaskTimeoutExtensions.Limit;
        while (Sqlite.QueuedRequests > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer never took the queued push");
            await Task.Delay(5);
        }

        await Task.Delay(50);
    }

    private SqliteSyncStore Open(ClockLimits? limits = null, SpaceQuotas? quotas = null, ILogger? logger = null, HistoryLimits? history = null, TimeProvider? time = null, bool merges = false) =>
        new(_directory.Path, logger ?? NullLogger.Instance, limits, quotas: quotas, history: history, time: time, mergesConcurrentEdits: merges);

    private SqliteConnection OpenSideConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory.Path, "notesync.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
