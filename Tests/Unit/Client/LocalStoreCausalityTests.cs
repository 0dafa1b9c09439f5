using System.Text.Json;
using Microsoft.Data.Sqlite;
using NoteSync.Client;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

/// <summary>
/// What the client's store keeps of causality (docs/protocol.md §2.2): each entry's heads and what they replaced,
/// each queued write's base as it will be sent, a refused write's base handed on, and a store of the previous
/// layout (schema 2) opened in place.
/// </summary>
public sealed class LocalStoreCausalityTests
{
    [Fact]
    public void EntriesKeepTheirHeadsAndWhatTheyReplacedAcrossAReopen()
    {
        // Arrange: a's v1 edited by b at 9; c's edit at 3, made without seeing either, is kept below it; and a
        // state of the timestamp rule alone, which needs no row of its own.
        using var dir = new TempDirectory();
        var v1 = new Write(5, "a", "v1");
        var state = LwwMerge.Merge(null, v1, [], out _);
        state = LwwMerge.Merge(state, new Write(9, "b", "b's edit"), [VersionId.Of(v1)], out _);
        state = LwwMerge.Merge(state, new Write(3, "c", "c's edit"), [], out _);
        var tied = EntryState.OfWrites([new Write(4, "x", "one"), new Write(4, "y", "two")]);
        using (var store = new LocalStore(dir.Path))
        {
            store.ApplyFrame([("note:k", state), ("note:tied", tied)], clock: 9, lastAck: 9, ackedUpToId: null, reset: new ResetStep(true, [("note:k", state)], null));
        }

        // Act
        using var reopened = new LocalStore(dir.Path);
        var replica = new LwwMap();
        reopened.LoadReplica(replica);
        var seen = new LwwMap();
        reopened.LoadResetSeen(seen);

        // Assert: the same heads and the same replaced versions, in the replica and in the reset's record.
        foreach (var loaded in new[] { replica.Get("note:k")!, seen.Get("note:k")! })
        {
            Assert.Equal(state.Writes.ToArray(), loaded.Writes.ToArray());
            Assert.Equal(state.Replaced, loaded.Replaced);
        }

        Assert.Equal(tied.Writes.ToArray(), replica.Get("note:tied")!.Writes.ToArray());
        Assert.Equal(tied.Replaced, replica.Get("note:tied")!.Replaced);

        // So v1, sent again, stays replaced rather than coming back as a head.
        Assert.Equal(MergeOutcome.Ignored, replica.Apply("note:k", v1, []));
    }

    [Fact]
    public void AQueuedWriteKeepsItsBaseAcrossAReopenExactlyAsItIsSent()
    {
        using var dir = new TempDirectory();
        string[] before;
        using (var store = new LocalStore(dir.Path))
        {
            Add(store, "note:edit", 10, [new(9, "phone"), new(3, "laptop")]);
            Add(store, "note:new", 11, []);
            Add(store, "note:forced", 12, null);
            before = Sent(store);
        }

        using var reopened = new LocalStore(dir.Path);
        var after = Sent(reopened);

        Assert.Equal(before, after);
        Assert.Equal(
            [
                """{"key":"note:edit","value":"v","timestamp":10,"device_id":"dev","base":[{"timestamp":9,"device_id":"phone"},{"timestamp":3,"device_id":"laptop"}]}""",
                """{"key":"note:new","value":"v","timestamp":11,"device_id":"dev","base":[]}""",
                """{"key":"note:forced","value":"v","timestamp":12,"device_id":"dev"}""",
            ],
            after);
    }

    [Fact]
    public void ANewWriteOfARefusedKeyAlsoNamesWhatTheRefusedWriteReplaced()
    {
        // Arrange: the refused write had replaced the phone's version here; the server never applied it.
        using var dir = new TempDirectory();
        using var store = new LocalStore(dir.Path);
        Add(store, "note:k", 10, [new(5, "phone")]);
        store.MarkRefused(Queued(store)[0].Id, ErrorCodes.TooLarge, "too large");

        // Act: the next edit is made on the refused write, the only head here.
        Add(store, "note:k", 11, [new(10, "dev")]);

        // Assert: it replaces the phone's version on the server too.
        Assert.Empty(store.ReadRefused());
        Assert.Equal([(10L, "dev"), (5L, "phone")], BaseOf(Assert.Single(Queued(store))));
    }

    [Fact]
    public void ARefusedWriteHandsItsBaseToTheNextQueuedWriteOfItsKey()
    {
        // Arrange: two edits of k queued (the second made on the first), and one of another note.
        using var dir = new TempDirectory();
        using var store = new LocalStore(dir.Path);
        Add(store, "note:k", 10, [new(5, "phone")]);
        Add(store, "note:k", 11, [new(10, "dev")]);
        Add(store, "note:other", 12, [new(7, "phone")]);

        // Act: the server refuses the first for good.
        store.MarkRefused(Queued(store)[0].Id, ErrorCodes.TooLarge, "too large");

        // Assert: the second now names the phone's version as well; the other note's write is as it was.
        var queued = Queued(store);
        Assert.Equal(["note:k", "note:other"], queued.Select(q => q.Key));
        Assert.Equal([(10L, "dev"), (5L, "phone")], BaseOf(queued[0]));
        Assert.Equal([(7L, "phone")], BaseOf(queued[1]));
    }

    [Fact]
    public void StoreOfTheLayoutBeforeCausalityOpensWithItsNotesConflictsAndOutbox()
    {
        // Arrange: schema 2, as the previous client left it: a conflict, a note, a queued edit, a refused write.
        using var dir = new TempDirectory();
        using (var old = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "notesync.db")};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE writes (key TEXT NOT NULL, timestamp INTEGER NOT NULL, device_id TEXT NOT NULL, value TEXT);
                CREATE INDEX writes_key ON writes (key);
                CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT, timestamp INTEGER NOT NULL);
                CREATE INDEX outbox_key ON outbox (key);
                CREATE TABLE meta_text (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                ALTER TABLE outbox ADD COLUMN reupload INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE reset_seen (key TEXT NOT NULL, timestamp INTEGER NOT NULL, device_id TEXT NOT NULL, value TEXT);
                CREATE INDEX reset_seen_key ON reset_seen (key);
                ALTER TABLE outbox ADD COLUMN refused_code TEXT;
                ALTER TABLE outbox ADD COLUMN refused_reason TEXT;
                PRAGMA user_version = 2;
                INSERT INTO meta VALUES ('clock', 12), ('last_ack', 11);
                INSERT INTO meta_text VALUES ('epoch', 'e1');
                INSERT INTO writes VALUES ('note:plans', 7, 'dev', 'mine'), ('note:plans', 7, 'other', 'theirs'), ('note:todo', 12, 'dev', 'buy milk');
                INSERT INTO outbox (key, value, timestamp) VALUES ('note:todo', 'buy milk', 12);
                INSERT INTO outbox (key, value, timestamp, refused_code, refused_reason) VALUES ('note:big', 'xxxx', 10, 'too_large', 'too large');
                """;
            command.ExecuteNonQuery();
        }

        // Act
        using (var store = new LocalStore(dir.Path))
        {
            // Assert: the notes, the conflict and what it replaced (everything below its timestamp) are there...
            var replica = new LwwMap();
            store.LoadReplica(replica);
            var plans = replica.Get("note:plans")!;
            Assert.Equal([new Write(7, "other", "theirs"), new Write(7, "dev", "mine")], plans.Writes.ToArray());
            Assert.Equal(ReplacedVersions.Of(7, []), plans.Replaced);
            Assert.Equal("buy milk", replica.Get("note:todo")!.Winner.Value);
            Assert.Equal(("e1", 11L, 12L), (store.ReadEpoch(), store.ReadMeta("last_ack"), store.ReadMeta("clock")));

            // ...the queued edit goes as it was made, without base, and the refused write is still set aside.
            var queued = Assert.Single(Queued(store));
            Assert.Equal("""{"key":"note:todo","value":"buy milk","timestamp":12,"device_id":"dev"}""", JsonSerializer.Serialize(queued.ToChange("dev"), NoteSyncJsonContext.Wire.Change));
            Assert.Equal([("note:big", 10L, "too_large", "too large")], store.ReadRefused());

            // A new edit of the conflict is stored with its base and what it replaced.
            var edit = new Write(13, "dev", "merged");
            VersionId[] names = [new(7, "other"), new(7, "dev")];
            store.AddLocalWrites([("note:plans", edit, names, LwwMerge.Merge(plans, edit, names, out _))], 13);
        }

        using var reopened = new LocalStore(dir.Path);
        var again = new LwwMap();
        reopened.LoadReplica(again);
        Assert.Equal([new Write(13, "dev", "merged")], again.Get("note:plans")!.Writes.ToArray());
        Assert.Equal(ReplacedVersions.Of(7, [new(7, "other"), new(7, "dev")]), again.Get("note:plans")!.Replaced);
        Assert.Equal([(7L, "other"), (7L, "dev")], BaseOf(Queued(reopened)[^1]));
        using var version = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "notesync.db")};Pooling=False");
        version.Open();
        using var read = version.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        Assert.Equal((long)LocalStore.SchemaVersion, read.ExecuteScalar());
    }

    private static void Add(LocalStore store, string key, long timestamp, VersionId[]? @base)
    {
        var write = new Write(timestamp, "dev", "v");
        store.AddLocalWrites([(key, write, @base, EntryState.Of(write))], timestamp);
    }

    private static List<OutboxItem> Queued(LocalStore store) => store.ReadOutbox(100, long.MaxValue, _ => 1).Items;

    private static string[] Sent(LocalStore store) =>
        [.. Queued(store).Select(i => JsonSerializer.Serialize(i.ToChange("dev"), NoteSyncJsonContext.Wire.Change))];

    private static (long, string)[] BaseOf(OutboxItem item) => [.. item.ToChange("dev").Base!.Select(b => (b.Timestamp, b.DeviceId))];
}
