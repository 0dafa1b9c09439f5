using Microsoft.Data.Sqlite;
using NoteSync.Client;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

public sealed class LocalStoreTests
{
    [Fact]
    public void OutboxKeepsWriteOrderAndDropsOnlyWhatWasAcked()
    {
        using var dir = new TempDirectory();
        using (var store = new LocalStore(dir.Path))
        {
            for (var i = 1; i <= 5; i++)
            {
                var write = new Write(i, "dev", $"v{i}");
                store.AddLocalWrites([($"note:k{i % 2}", write, null, EntryState.Of(write))], i);
            }

            var firstThree = store.ReadOutbox(3, long.MaxValue, _ => 1).Items;
            Assert.Equal(["v1", "v2", "v3"], firstThree.Select(o => o.Value));
            store.ApplyFrame([], clock: 9, lastAck: 7, ackedUpToId: firstThree[^1].Id);
        }

        using var reopened = new LocalStore(dir.Path);
        Assert.Equal(["v4", "v5"], reopened.ReadOutbox(10, long.MaxValue, _ => 1).Items.Select(o => o.Value));
        Assert.Equal(2, reopened.OutboxCount());
        Assert.Equal(9, reopened.ReadMeta("clock"));
        Assert.Equal(7, reopened.ReadMeta("last_ack"));
    }

    [Fact]
    public void APushIsBoundedByBytesButAlwaysTakesItsFirstWrite()
    {
        using var dir = new TempDirectory();
        using var store = new LocalStore(dir.Path);
        foreach (var (key, value, ts) in (IEnumerable<(string, string, long)>)[("note:big", new string('x', 500), 1), ("note:a", "aa", 2), ("note:b", "bb", 3), ("note:c", "cc", 4)])
        {
            var write = new Write(ts, "dev", value);
            store.AddLocalWrites([(key, write, null, EntryState.Of(write))], ts);
        }

        static long Size(OutboxItem item) => item.Value!.Length;

        // The first write goes alone though it is over the budget.
        var (first, more, bytes) = store.ReadOutbox(10, 100, Size);
        Assert.Equal(["note:big"], first.Select(o => o.Key));
        Assert.True(more);
        Assert.Equal(500, bytes);
        store.ApplyFrame([], clock: 4, lastAck: 1, ackedUpToId: first[^1].Id);

        // Then as many as fit.
        var (next, moreAfter, nextBytes) = store.ReadOutbox(10, 5, Size);
        Assert.Equal(["note:a", "note:b"], next.Select(o => o.Key));
        Assert.True(moreAfter);
        Assert.Equal(4, nextBytes);
        var (all, none, _) = store.ReadOutbox(10, long.MaxValue, Size);
        Assert.Equal(3, all.Count);
        Assert.False(none);
    }

    [Fact]
    public void ARefusedWriteIsKeptButNotSentAcknowledgedOrReadAgainUntilItsKeyIsWrittenAgain()
    {
        using var dir = new TempDirectory();
        using (var store = new LocalStore(dir.Path))
        {
            for (var i = 1; i <= 3; i++)
            {
                var write = new Write(i, "dev", $"v{i}");
                store.AddLocalWrites([($"note:k{i}", write, null, EntryState.Of(write))], i);
            }

            var outbox = store.ReadOutbox(10, long.MaxValue, _ => 1).Items;
            store.MarkRefused(outbox[0].Id, "too_large", "changes[0].value must be at most 4 UTF-8 bytes");

            // Not read for a push, and an answer acknowledging the writes after it leaves it.
            Assert.Equal(["v2", "v3"], store.ReadOutbox(10, long.MaxValue, _ => 1).Items.Select(o => o.Value));
            store.ApplyFrame([], clock: 3, lastAck: 3, ackedUpToId: outbox[^1].Id);
            Assert.Equal(1, store.OutboxCount());
        }

        using var reopened = new LocalStore(dir.Path);
        Assert.Equal([("note:k1", 1L, "too_large", "changes[0].value must be at most 4 UTF-8 bytes")], reopened.ReadRefused());

        // A new write of its key replaces it.
        var edit = new Write(4, "dev", "ok");
        reopened.AddLocalWrites([("note:k1", edit, null, EntryState.Of(edit))], 4);
        Assert.Empty(reopened.ReadRefused());
        Assert.Equal(["ok"], reopened.ReadOutbox(10, long.MaxValue, _ => 1).Items.Select(o => o.Value));
    }

    [Fact]
    public void EntriesKeepTheirWholeWriteSet()
    {
        using var dir = new TempDirectory();
        var state = EntryState.OfWrites([new Write(5, "a", "x"), new Write(5, "b", "y"), new Write(5, "c", null)]);
        using (var store = new LocalStore(dir.Path))
        {
            store.ApplyFrame([("note:k", state)], clock: 5, lastAck: 5, ackedUpToId: null);
        }

        using var reopened = new LocalStore(dir.Path);
        var replica = new LwwMap();
        reopened.LoadReplica(replica);
        var loaded = replica.Get("note:k")!;
        Assert.Equal(state.Writes.ToArray(), loaded.Writes.ToArray());
        Assert.True(loaded.IsConflict);
    }

    [Fact]
    public void StoreFromBeforeEpochsOpensWithItsDataAndNoEpoch()
    {
        // Arrange: the first layout, as a client before epochs left it.
        using var dir = new TempDirectory();
        using (var old = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "notesync.db")};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE writes (key TEXT NOT NULL, timestamp INTEGER NOT NULL, device_id TEXT NOT NULL, value TEXT);
                CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT, timestamp INTEGER NOT NULL);
                INSERT INTO meta VALUES ('clock', 42), ('last_ack', 40);
                INSERT INTO writes VALUES ('note:a', 41, 'dev', 'kept');
                INSERT INTO outbox (key, value, timestamp) VALUES ('note:a', 'kept', 41);
                """;
            command.ExecuteNonQuery();
        }

        // Act
        using var store = new LocalStore(dir.Path);

        // Assert: everything is there, the pending write still counts as this device's edit, no epoch yet.
        Assert.Equal(42, store.ReadMeta("clock"));
        Assert.Equal(40, store.ReadMeta("last_ack"));
        Assert.Null(store.ReadEpoch());
        Assert.False(store.ResetInProgress());
        Assert.Equal(["kept"], store.ReadOutbox(10, long.MaxValue, _ => 1).Items.Select(o => o.Value));
        Assert.Equal(new Write(41, "dev", "kept"), store.LatestPendingWrite("note:a", "dev"));
        store.ApplyFrame([], clock: 50, lastAck: 50, ackedUpToId: null, new EpochUpdate("e1"));
        Assert.Equal("e1", store.ReadEpoch());
    }

    [Fact]
    public void ResetBookkeepingSurvivesAReopenAndEndsWithTheReuploadsQueued()
    {
        using var dir = new TempDirectory();
        var sent = EntryState.Of(new Write(3, "other", "from the server"));
        using (var store = new LocalStore(dir.Path))
        {
            var edit = new Write(9, "dev", "my edit");
            store.AddLocalWrites([("note:mine", edit, null, EntryState.Of(edit))], 9);

            // The reset's first page: cursor and epoch replaced (the cursor lower than before), the outbox kept.
            store.ApplyFrame([("note:theirs", sent)], clock: 9, lastAck: 3, ackedUpToId: null, new EpochUpdate("e2"), new ResetStep(true, [("note:theirs", sent)], null));
        }

        using (var store = new LocalStore(dir.Path))
        {
            Assert.True(store.ResetInProgress());
            Assert.Equal("e2", store.ReadEpoch());
            Assert.Equal(3, store.ReadMeta("last_ack"));
            var seen = new LwwMap();
            store.LoadResetSeen(seen);
            Assert.True(seen.Get("note:theirs")!.IsExactly(new Write(3, "other", "from the server")));

            // The last page: the re-uploads join the outbox behind the edit, and the record is dropped.
            store.ApplyFrame([], clock: 9, lastAck: 3, ackedUpToId: null, reset: new ResetStep(false, [], [("note:lost", new Write(2, "other", "lost"), null)]));
            Assert.False(store.ResetInProgress());
            Assert.Equal(["my edit", "lost"], store.ReadOutbox(10, long.MaxValue, _ => 1).Items.Select(o => o.Value));

            // A re-upload is not an edit of this device: it never shows as a local write that lost.
            Assert.Null(store.LatestPendingWrite("note:lost", "dev"));
        }

        using var reopened = new LocalStore(dir.Path);
        var after = new LwwMap();
        reopened.LoadResetSeen(after);
        Assert.Equal(0, after.Count);
        Assert.Equal(2, reopened.OutboxCount());
    }
}
