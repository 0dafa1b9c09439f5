using System.Text.RegularExpressions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>SQLite's history: the age rule on an injected clock, texts as deltas, the query plans of retention and the trash, and a database of schema 4 brought up to date.</summary>
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
            SqliteSchema.ScalarString(connection, "DROP TABLE history; DROP TABLE history_notes; DROP TABLE history_names");
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

    [Fact]
    public async Task ReplacedVersionsAreKeptAsLineDeltasAndReadBackExactly()
    {
        // Arrange: a 40-line note (CRLF endings, no newline at the end) edited 30 times, a line each,
        // every edit from the one before (base), as clients send them; then deleted.
        var lines = Enumerable.Range(0, 40).Select(i => $"line {i} of a note kept for its history").ToArray();
        var texts = new List<string?>();
        VersionId[]? previous = [];
        for (var edit = 0; edit < 30; edit++)
        {
            lines[(edit * 7) % 40] = $"line {(edit * 7) % 40}, edit {edit}";
            var text = string.Join("\r\n", lines);
            texts.Add(text);
            var write = new Write(edit + 1, "laptop", text);
            await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:long", write, previous)]).DefaultTimeout();
            previous = [new VersionId(write.Timestamp, write.DeviceId)];
        }

        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:long", new Write(31, "phone", null), previous)]).DefaultTimeout();

        // Act
        var read = new List<string?>();
        for (var edit = 0; edit < 30; edit++)
        {
            read.Add((await Store.ReadVersionAsync(SpaceA, "note:long", edit + 1, "laptop").DefaultTimeout())!.Value);
        }

        var trashed = Assert.Single(await Store.ReadTrashAsync(SpaceA, 10).DefaultTimeout());

        // Assert: every version and the trash's last text exact; on disk every version replaced by a later
        // text is a delta (the last one, replaced by the delete, is whole), no head is one, and the texts
        // take a fraction of their bytes.
        Assert.Equal(texts, read);
        Assert.Equal(texts[^1], trashed.LastText?.Value);
        await using var connection = OpenSideConnection();
        Assert.Equal(29, SqliteSchema.ScalarInt64(connection, $"SELECT count(*) FROM history WHERE sid = (SELECT id FROM history_names WHERE name = '{SpaceA}') AND delta_of > 0"));
        Assert.Equal(0, SqliteSchema.ScalarInt64(connection, "SELECT count(*) FROM history WHERE head = 1 AND delta_of > 0"));
        Assert.Equal(0, SqliteSchema.ScalarInt64(connection, "SELECT count(*) FROM history WHERE delta_of > 0 AND delta_of <= hid"));
        var stored = SqliteSchema.ScalarInt64(connection, $"SELECT sum(length(CAST(value AS BLOB))) FROM history WHERE sid = (SELECT id FROM history_names WHERE name = '{SpaceA}')");
        var whole = texts.Sum(t => (long)t!.Length);
        Assert.True(stored * 10 < whole, $"history holds {stored} bytes of text for {whole}");
    }

    [Fact]
    public async Task VersionsLeftByRetentionStillReadBackExactlyAndSiblingsStayWhole()
    {
        // Arrange: five versions kept per note; a note edited twelve times, then two concurrent edits of its last version.
        await Store.DisposeAsync();
        await using var store = Open(history: HistoryLimits.Default with { VersionsPerNote = 5 });
        var texts = new Dictionary<long, string>();
        VersionId[]? previous = [];
        for (var edit = 1; edit <= 12; edit++)
        {
            var text = string.Concat(Enumerable.Range(0, 20).Select(i => i == edit ? $"edited {edit}\n" : $"line {i}\n"));
            texts[edit] = text;
            await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(edit, "laptop", text), previous)]).DefaultTimeout();
            previous = [new VersionId(edit, "laptop")];
        }

        texts[13] = texts[12] + "from the phone\n";
        texts[14] = "from the tablet\n" + texts[12];
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(13, "phone", texts[13]), previous)]).DefaultTimeout();
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(14, "tablet", texts[14]), previous)]).DefaultTimeout();

        // Act
        var versions = await store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();
        var read = new Dictionary<long, string?>();
        foreach (var version in versions)
        {
            read[version.Timestamp] = (await store.ReadVersionAsync(SpaceA, "note:a", version.Timestamp, version.DeviceId).DefaultTimeout())!.Value;
        }

        // Assert: the five newest versions, each exact; the two heads' texts only in their entry (not
        // stored twice), the three others deltas.
        Assert.Equal([14L, 13L, 12L, 11L, 10L], versions.Select(v => v.Timestamp));
        Assert.All(read, r => Assert.Equal(texts[r.Key], r.Value));
        await using var connection = OpenSideConnection();
        Assert.Equal(2, SqliteSchema.ScalarInt64(connection, $"SELECT count(*) FROM history WHERE head = 1 AND value = '' AND delta_of = {HistoryText.InEntry}"));
        Assert.Equal(3, SqliteSchema.ScalarInt64(connection, "SELECT count(*) FROM history WHERE delta_of > 0"));
    }

    [Fact]
    public async Task VersionsCommittedAfterTheClockSteppedBackAreNotDatedBeforeEarlierOnesEvenAfterARestart()
    {
        // Arrange: a version at day 10, then the wall clock set back to day 0.
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start.AddDays(10));
        await Store.DisposeAsync();
        await using (var store = Open(time: clock))
        {
            await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(1, "laptop", "v1"))]).DefaultTimeout();
            clock.Advance(TimeSpan.FromDays(-10));
            await store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(2, "laptop", "v2"))]).DefaultTimeout();
        }

        // Act: a server started again, still on the stepped-back clock.
        await using var restarted = Open(time: clock);
        await restarted.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(3, "laptop", "v3"))]).DefaultTimeout();
        var versions = await restarted.ReadHistoryAsync(SpaceA, "note:a", 10).DefaultTimeout();

        // Assert: every commit time is the day-10 one: none is before the version committed before it,
        // so retention by age drops the oldest versions first, and a delta never outlives what it names.
        Assert.Equal([3L, 2L, 1L], versions.Select(v => v.Timestamp));
        Assert.All(versions, v => Assert.Equal(start.AddDays(10).ToUnixTimeMilliseconds(), v.CommittedAt));
    }

    [Theory]
    [InlineData(SqliteSchema.OldestNonHeadSql, "history_old")]
    [InlineData(SqliteSchema.TrashSql, "history_trash")]
    public async Task RetentionByBytesAndTheTrashWalkTheirPartialIndexes(string sql, string index)
    {
        // Arrange: notes edited and deleted in two spaces, so the planner has something to choose between.
        for (var i = 1; i <= 20; i++)
        {
            var space = i % 2 == 0 ? SpaceA : SpaceB;
            await ApplyAsync(space, ($"note:{i % 5}", new Write(i, "laptop", $"v{i}")));
            await ApplyAsync(space, ($"note:gone{i}", new Write(i, "laptop", null)));
        }

        await using var connection = OpenSideConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        command.Parameters.AddWithValue("$sid", 1L);
        command.Parameters.AddWithValue("$space", SpaceA);
        command.Parameters.AddWithValue("$limit", 10L);

        // Act
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        // Assert: history is searched through the index in its order, never scanned or sorted; a first version
        // of this store planned such a query through the wrong index and took minutes on a large space.
        Assert.Contains(plan, step => Regex.IsMatch(step, $"^SEARCH (h|history) USING (COVERING )?INDEX {index} "));
        Assert.DoesNotContain(plan, step => Regex.IsMatch(step, "^SCAN (h|history)( |$)") || step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}
