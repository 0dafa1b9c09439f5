using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>The usage columns of schema version 3, and the count a database of an older version gets when opened.</summary>
public sealed partial class SqliteSyncStoreTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task AnOlderDatabaseGetsEverySpaceCountedFromItsEntriesWhenOpened(int version)
    {
        // Arrange: two spaces of notes, tombstones, conflicts (the others column) and non-ASCII text.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "plain")), ("note:é", new Write(2, "dev-a", "😀 ünïcode")), ("note:gone", new Write(3, "dev-a", "x")));
        await ApplyAsync(SpaceA, ("note:gone", new Write(4, "dev-a", null)), ("note:t", new Write(5, "dev-a", "x")), ("note:t", new Write(5, "dev-b", null)), ("note:t", new Write(5, "dev-é", "z")));
        await ApplyAsync(SpaceB, ("note:b", new Write(1, "dev-b", "")));
        var expected = new Dictionary<string, SpaceUsage> { [SpaceA] = await CountAsync(SpaceA), [SpaceB] = await CountAsync(SpaceB) };
        var kept = ReadUsageColumns();

        // ...laid out as the older version had it: spaces without the usage columns, entries without replaced (and, in version 1, no meta).
        await Store.DisposeAsync();
        await using (var connection = OpenSideConnection())
        {
            await using var downgrade = connection.CreateCommand();
            downgrade.CommandText = $"""
                CREATE TABLE spaces_old (space TEXT NOT NULL PRIMARY KEY, clock INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO spaces_old SELECT space, clock FROM spaces;
                DROP TABLE spaces;
                ALTER TABLE spaces_old RENAME TO spaces;
                ALTER TABLE entries DROP COLUMN replaced;
                {(version == 1 ? "DROP TABLE meta;" : "")}
                PRAGMA user_version = {version};
                """;
            await downgrade.ExecuteNonQueryAsync();
        }

        // Act
        var log = new ListLogger();
        await using var upgraded = Open(quotas: new SpaceQuotas(expected[SpaceA].Notes, SpaceQuotas.Default.MaxBytes), logger: log);
        var counted = ReadUsageColumns();
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => upgraded.ApplyAsync(SpaceA, [new KeyedWrite("note:new", new Write(9, "dev-a", "v"))]).DefaultTimeout());

        // Assert: the writer's running count and the upgrade's count agree with the entries; the quota
        // holds from the first push; the version is the current one; the upgrade said what it did.
        Assert.Equal(expected, kept);
        Assert.Equal(expected, counted);
        Assert.Equal(new SpaceUsage(3, (6 + 5 + 5 + 64) + (7 + 5 + 14 + 64) + (9 + 5 + 64) + (6 + 5 + 1 + 5 + 6 + 1 + 64)), expected[SpaceA]);
        Assert.StartsWith($"the space would hold {expected[SpaceA].Notes + 1} notes,", refused.Message, StringComparison.Ordinal);
        await using (var connection = OpenSideConnection())
        {
            Assert.Equal(SqliteSchema.Version, SqliteSchema.ScalarInt64(connection, "PRAGMA user_version"));
        }

        Assert.Contains(log.Lines, l => l.EventName == "SqliteUsageCountStarted" && l.Message.Contains("from its 5 entries", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.EventName == "SqliteUsageCountFinished" && l.Message.Contains("counted 2 spaces (5 entries)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARefusedPushLeavesTheUsageColumnsAsTheyWere()
    {
        // Arrange
        await RestartAsync(new SpaceQuotas(1, SpaceQuotas.Default.MaxBytes));
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")));
        var before = ReadUsageColumns();

        // Act: refused, in a group with a push that is taken.
        var refused = Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(2, "dev-a", null)), new KeyedWrite("note:b", new Write(2, "dev-a", "v")), new KeyedWrite("note:c", new Write(2, "dev-a", "v"))]);
        var taken = Store.ApplyAsync(SpaceB, [new KeyedWrite("note:b", new Write(1, "dev-b", "v"))]);
        await Assert.ThrowsAsync<QuotaExceededException>(() => refused.DefaultTimeout());
        await taken.DefaultTimeout();

        // Assert
        var after = ReadUsageColumns();
        Assert.Equal(before[SpaceA], after[SpaceA]);
        Assert.Equal(await CountAsync(SpaceB), after[SpaceB]);
    }

    private async Task<SpaceUsage> CountAsync(string space)
    {
        var usage = default(SpaceUsage);
        foreach (var (key, entry) in await ReadAllAsync(space))
        {
            usage += SpaceQuotas.UsageOf(key, entry.State);
        }

        return usage;
    }

    private Dictionary<string, SpaceUsage> ReadUsageColumns()
    {
        using var connection = OpenSideConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT space, notes, bytes FROM spaces";
        using var reader = command.ExecuteReader();
        var usage = new Dictionary<string, SpaceUsage>();
        while (reader.Read())
        {
            usage[reader.GetString(0)] = new SpaceUsage(reader.GetInt64(1), reader.GetInt64(2));
        }

        return usage;
    }
}
