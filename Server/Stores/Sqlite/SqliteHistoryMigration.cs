using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// Brings the history of a database of schema version 5 to 7 into version 8's layout (SqliteSchema): each
/// space, device id and note named once, a note's versions side by side, no unique index over names. The
/// old rows are copied with their hids, texts, deltas and commit times; bases are rewritten in the
/// shorter form (<see cref="VersionListCodec"/>). It runs inside the start-up transaction, in hid order,
/// logged as it goes: a server stopped meanwhile leaves the database as it was.
/// </summary>
internal static partial class SqliteHistoryMigration
{
    /// <summary>How many versions between two progress lines, and in one statement.</summary>
    internal const int ProgressEvery = 100_000;

    private const string OldTable = "history_v7";

    /// <summary>
    /// Renames a history table of the old layout out of the way, with its indexes dropped, so the new
    /// tables can be created under their names; false when there is none (version 4 or older, or a
    /// database already upgraded).
    /// </summary>
    public static bool SetAside(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (SqliteSchema.ScalarInt64(connection, "SELECT count(*) FROM pragma_table_info('history') WHERE name = 'space'", transaction) == 0)
        {
            return false;
        }

        // Version 5 had no delta_of: its texts are all whole, which NULL says.
        SqliteSchema.AddColumnIfMissing(connection, transaction, "history", "delta_of", "INTEGER NULL");
        Execute(connection, transaction, $"""
            DROP INDEX IF EXISTS history_version;
            DROP INDEX IF EXISTS history_old;
            DROP INDEX IF EXISTS history_trash;
            ALTER TABLE history RENAME TO {OldTable};
            """);
        return true;
    }

    /// <summary>Copies the set-aside rows into the new tables, then drops the old one.</summary>
    public static void Run(SqliteConnection connection, SqliteTransaction transaction, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var total = SqliteSchema.ScalarInt64(connection, $"SELECT count(*) FROM {OldTable}", transaction);
        Log.Started(logger, total);

        Execute(connection, transaction, $"""
            INSERT OR IGNORE INTO history_names (name) SELECT space FROM {OldTable} UNION SELECT device_id FROM {OldTable};
            INSERT OR IGNORE INTO history_notes (sid, key)
                SELECT DISTINCT s.id, h.key FROM {OldTable} h JOIN history_names s ON s.name = h.space;
            """);

        connection.CreateFunction<string, string?, string?>(
            "notesync_compact_base",
            (device, column) => VersionListCodec.Encode(VersionListCodec.Decode(column, device), device),
            isDeterministic: true);

        using var copy = connection.CreateCommand();
        copy.Transaction = transaction;

        // A range of hids at a time (the old table's rowid), so progress can be told.
        copy.CommandText = $"""
            INSERT INTO history (nid, hid, sid, timestamp, did, value, base, committed_at, bytes, head, delta_of)
            SELECT n.nid, h.hid, s.id, h.timestamp, d.id, h.value, notesync_compact_base(h.device_id, h.base),
                h.committed_at, h.bytes, h.head, h.delta_of
            FROM {OldTable} h
                JOIN history_names s ON s.name = h.space
                JOIN history_notes n ON n.sid = s.id AND n.key = h.key
                JOIN history_names d ON d.name = h.device_id
            WHERE h.hid > $after ORDER BY h.hid LIMIT {ProgressEvery}
            RETURNING hid
            """;
        var after = copy.Parameters.Add(new SqliteParameter { ParameterName = "$after", Value = 0L });
        var copied = 0L;
        while (true)
        {
            var last = 0L;
            var rows = 0;
            using (var reader = copy.ExecuteReader())
            {
                while (reader.Read())
                {
                    last = Math.Max(last, reader.GetInt64(0));
                    rows++;
                }
            }

            if (rows == 0)
            {
                break;
            }

            copied += rows;
            after.Value = last;
            Log.Progress(logger, copied, total);
        }

        Execute(connection, transaction, $"DROP TABLE {OldTable}");
        Log.Finished(logger, copied, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // Event ids 217-219: the SQLite store's range (200-219). Counts only, never a space's name.
    private static partial class Log
    {
        [LoggerMessage(217, LogLevel.Information, "Upgrading the database to schema version 8: copying {Versions} history versions into the new layout, once; pushes wait until it is done", EventName = "SqliteHistoryCopyStarted")]
        public static partial void Started(ILogger logger, long versions);

        [LoggerMessage(218, LogLevel.Information, "Copied {Copied} of {Versions} history versions", EventName = "SqliteHistoryCopyProgress")]
        public static partial void Progress(ILogger logger, long copied, long versions);

        [LoggerMessage(219, LogLevel.Information, "Upgraded the database to schema version 8: copied {Versions} history versions in {Seconds:0.0} s", EventName = "SqliteHistoryCopyFinished")]
        public static partial void Finished(ILogger logger, long versions, double seconds);
    }
}
