using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>SQLite's history: the age rule on an injected clock, and a database of schema 4 brought up to date.</summary>
public sealed partial class SqliteSyncStoreTests
{
    [Fact]
    public async Task VersionsCommittedMaxAgeDaysAgoAreDroppedAtTheirNotesNextWriteButHeadsNever()
    {
        // Arrange
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await Store.DisposeAsync();
        await using var store = Open(history: HistoryLimits.Default with { MaxAgeDays = 90 }, time: clock);

        // Act: v1 and a note never written again at day 0; v2 at day 50; v3 at day 90.
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(1, "dev-a", "v1")), new KeyedWrite("note:old", new Write(2, "dev-a", "o"))]).DefaultTimeout();
        clock.Advance(TimeSpan.FromDays(50));
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(3, "dev-a", "v2"))]).DefaultTimeout();
        var atDay50 = await store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();
        clock.Advance(TimeSpan.FromDays(40));
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(4, "dev-a", "v3"))]).DefaultTimeout();
        var atDay90 = await store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();
        var old = await store.ReadHistoryAsync(SpaceA, "note:old", 100).DefaultTimeout();

        // Assert: v1, 90 days old, went; v2 stays; the untouched note's head stays; times are the clock's.
        Assert.Equal([3L, 1L], atDay50.Select(v => v.Timestamp));
        Assert.Equal([4L, 3L], atDay90.Select(v => v.Timestamp));
        Assert.Equal([start.AddDays(90).ToUnixTimeMilliseconds(), start.AddDays(50).ToUnixTimeMilliseconds()], atDay90.Select(v => v.CommittedAt));
        Assert.Equal(start.ToUnixTimeMilliseconds(), Assert.Single(old).CommittedAt);
    }

    [Fact]
    public async Task AVersion4DatabaseOpensAndItsNotesGainHistoryFromTheirNextWrite()
    {
        // Arrange: notes stored by schema 4, which had no history table and no history_bytes column.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "laptop", "old text")), ("note:gone", new Write(2, "laptop", null)));
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            SqliteSchema.ScalarString(connection, "DROP TABLE history");
            SqliteSchema.ScalarString(connection, "ALTER TABLE spaces DROP COLUMN history_bytes");
            SqliteSchema.ScalarString(connection, "PRAGMA user_version = 4");
        }

        // Act
        await using var upgraded = Open();
        var before = await upgraded.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();
        var trashBefore = await upgraded.ReadTrashAsync(SpaceA, 100).DefaultTimeout();
        await upgraded.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(3, "phone", "new text"))]).DefaultTimeout();
        await upgraded.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(4, "phone", null))]).DefaultTimeout();

        // Assert: nothing recorded of the time before; the notes still read as they were; from the next
        // write on, history and the trash work, and its bytes are counted from zero.
        Assert.Empty(before);
        Assert.Empty(trashBefore);
        var page = await upgraded.ReadSinceAsync(SpaceA, 0, 100, long.MaxValue).DefaultTimeout();
        Assert.Equal(["note:gone", "note:a"], page.Entries.Select(e => e.Key));
        Assert.Equal([4L, 3L], (await upgraded.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout()).Select(v => v.Timestamp));
        var trashed = Assert.Single(await upgraded.ReadTrashAsync(SpaceA, 100).DefaultTimeout());
        Assert.Equal(("note:a", new Write(3, "phone", "new text")), (trashed.Key, trashed.LastText));
        await using (var connection = OpenSideConnection())
        {
            Assert.Equal(SqliteSchema.Version, SqliteSchema.ScalarInt64(connection, "PRAGMA user_version"));
            Assert.Equal(8 + 5 + 5, SqliteSchema.ScalarInt64(connection, $"SELECT history_bytes FROM spaces WHERE space = '{SpaceA}'"));
        }
    }
}
