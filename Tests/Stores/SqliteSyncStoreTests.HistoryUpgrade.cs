using System.Text.Json;
using Microsoft.Data.Sqlite;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>Databases whose history was kept in the layout of schema versions 5 to 7, opened by this version.</summary>
public sealed partial class SqliteSyncStoreTests
{
    [Fact]
    public async Task AVersion7DatabasesHistoryIsCopiedIntoTheNewLayoutAndReadsAsItDid()
    {
        // Arrange: two spaces; a note edited from its own and another device's versions (deltas, a base
        // naming another device), two concurrent heads, a deleted note in the trash; then the database
        // rewritten as schema 7 kept it.
        var lines = string.Concat(Enumerable.Range(0, 30).Select(i => $"line {i} of a note\n"));
        VersionId[] afterOne = [new(1, "laptop")];
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(1, "laptop", lines), [])]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(2, "phone", lines.Replace("line 3 ", "line three ", StringComparison.Ordinal)), afterOne)]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(3, "laptop", lines + "the end\n"), [new(2, "phone")])]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(4, "tablet", "from the tablet\n" + lines), [new(2, "phone")])]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:gone", new Write(5, "laptop", "soon gone"), [])]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:gone", new Write(6, "phone", null), [new(5, "laptop")])]).DefaultTimeout();
        await Store.ApplyAsync(SpaceB, [new KeyedWrite("note:a", new Write(7, "laptop", "space B's own"), [])]).DefaultTimeout();
        await Store.ApplyAsync(SpaceB, [new KeyedWrite("note:a", new Write(9, "laptop", "space B's own, edited"), [new(7, "laptop")])]).DefaultTimeout();
        var before = await ReadAllHistoryAsync(Store);
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            RewriteHistoryAsSchema7(connection);
        }

        // Act
        await using var upgraded = Open();
        var after = await ReadAllHistoryAsync(upgraded);
        await upgraded.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(8, "laptop", lines), [new(3, "laptop"), new(4, "tablet")])]).DefaultTimeout();
        var resolved = await upgraded.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();

        // Assert: every version, its record, base and text, and the trash read as before; the old table is
        // gone and a base naming the row's own device is a bare timestamp; later writes go on from there.
        Assert.Equal(before, after);
        Assert.Equal([8L, 4L, 3L, 2L, 1L], resolved.Select(v => v.Timestamp));
        Assert.Equal([new VersionId(3, "laptop"), new VersionId(4, "tablet")], resolved[0].Base!);
        Assert.Equal(lines.Replace("line 3 ", "line three ", StringComparison.Ordinal), (await upgraded.ReadVersionAsync(SpaceA, "note:a", 2, "phone").DefaultTimeout())!.Value);
        await using (var connection = OpenSideConnection())
        {
            Assert.Equal(SqliteSchema.Version, SqliteSchema.ScalarInt64(connection, "PRAGMA user_version"));
            Assert.Equal(0, SqliteSchema.ScalarInt64(connection, "SELECT count(*) FROM sqlite_master WHERE name IN ('history_v7', 'history_version')"));
            Assert.Equal("[7]", SqliteSchema.ScalarString(connection, "SELECT base FROM history WHERE timestamp = 9"));
            Assert.Equal("[[\"phone\",2]]", SqliteSchema.ScalarString(connection, "SELECT base FROM history WHERE timestamp = 4"));
            Assert.Equal("[3,[\"tablet\",4]]", SqliteSchema.ScalarString(connection, "SELECT base FROM history WHERE timestamp = 8"));
        }
    }

    [Fact]
    public async Task AVersion5DatabaseOpensWithItsHistoryWholeAndKeepsLaterVersionsAsDeltas()
    {
        // Arrange: a note with two versions stored by schema 5, which had no delta_of column.
        var first = string.Concat(Enumerable.Range(0, 30).Select(i => $"line {i}\n"));
        var second = first.Replace("line 3\n", "line three\n", StringComparison.Ordinal);
        var third = second.Replace("line 20\n", "line twenty\n", StringComparison.Ordinal);
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "laptop", first)));
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "laptop", second)));
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            RewriteHistoryAsSchema7(connection);
            SqliteSchema.ScalarString(connection, $"UPDATE history SET value = '{first}', delta_of = NULL WHERE timestamp = 1");
            SqliteSchema.ScalarString(connection, $"UPDATE history SET value = '{second}', delta_of = NULL WHERE timestamp = 2");
            SqliteSchema.ScalarString(connection, "ALTER TABLE history DROP COLUMN delta_of");
            SqliteSchema.ScalarString(connection, "PRAGMA user_version = 5");
        }

        // Act
        await using var upgraded = Open();
        var firstRead = await upgraded.ReadVersionAsync(SpaceA, "note:a", 1, "laptop").DefaultTimeout();
        await upgraded.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(3, "laptop", third))]).DefaultTimeout();

        // Assert: the old row reads as it was; the version replaced after the upgrade is a delta, and reads exactly.
        Assert.Equal(first, firstRead!.Value);
        Assert.Equal(second, (await upgraded.ReadVersionAsync(SpaceA, "note:a", 2, "laptop").DefaultTimeout())!.Value);
        await using (var connection = OpenSideConnection())
        {
            Assert.Equal(SqliteSchema.Version, SqliteSchema.ScalarInt64(connection, "PRAGMA user_version"));
            Assert.Equal(1, SqliteSchema.ScalarInt64(connection, "SELECT count(*) FROM history WHERE delta_of > 0"));
        }
    }

    // Every note's versions (records and texts) in both spaces, and both trashes, as one comparable string.
    private async Task<string> ReadAllHistoryAsync(ISyncStore store)
    {
        var read = new List<object?>();
        foreach (var (space, key) in new[] { (SpaceA, "note:a"), (SpaceA, "note:gone"), (SpaceB, "note:a") })
        {
            foreach (var version in await store.ReadHistoryAsync(space, key, 100).DefaultTimeout())
            {
                read.Add(version);
                read.Add(version.Base is null ? null : string.Join(",", version.Base));
                read.Add((await store.ReadVersionAsync(space, key, version.Timestamp, version.DeviceId).DefaultTimeout())?.Value);
            }
        }

        read.AddRange(await store.ReadTrashAsync(SpaceA, 10).DefaultTimeout());
        read.AddRange(await store.ReadTrashAsync(SpaceB, 10).DefaultTimeout());
        return string.Join("\n", read);
    }

    // The history of schema 7: one row per version naming its space, key and device in full, every base
    // version as [device_id, timestamp], a unique index on the names.
    private static void RewriteHistoryAsSchema7(SqliteConnection connection)
    {
        connection.CreateFunction<string, string?, string?>(
            "schema7_base",
            (device, column) => VersionListCodec.Decode(column, device) is { } versions
                ? JsonSerializer.Serialize(versions.Select(v => new object[] { v.DeviceId, v.Timestamp }))
                : null);
        SqliteSchema.ScalarString(connection, """
            CREATE TABLE history_old_layout (
                hid INTEGER PRIMARY KEY, space TEXT NOT NULL, key TEXT NOT NULL, timestamp INTEGER NOT NULL,
                device_id TEXT NOT NULL, value TEXT NULL, base TEXT NULL, committed_at INTEGER NOT NULL,
                bytes INTEGER NOT NULL, head INTEGER NOT NULL, delta_of INTEGER NULL);
            INSERT INTO history_old_layout
                SELECT h.hid, s.name, n.key, h.timestamp, d.name, h.value, schema7_base(d.name, h.base), h.committed_at,
                    h.bytes, h.head, h.delta_of
                FROM history h JOIN history_notes n ON n.nid = h.nid JOIN history_names s ON s.id = n.sid
                    JOIN history_names d ON d.id = h.did;
            DROP TABLE history;
            DROP TABLE history_notes;
            DROP TABLE history_names;
            ALTER TABLE history_old_layout RENAME TO history;
            CREATE UNIQUE INDEX history_version ON history (space, key, timestamp, device_id);
            CREATE INDEX history_old ON history (space, hid) WHERE head = 0;
            CREATE INDEX history_trash ON history (space, hid) WHERE head = 1 AND value IS NULL;
            PRAGMA user_version = 7;
            """);
    }
}
