using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// Brings a database of schema version 1 or 2 to version 3: adds the usage columns to <c>spaces</c> and
/// counts each space's notes and bytes from its entries, as <see cref="SpaceQuotas"/> counts them (the
/// others column decoded by <see cref="WriteSetCodec"/>), so the quotas hold from the first push. It
/// reads every entry once, inside the start-up transaction: a large database takes a while (logged as
/// it goes), and a server stopped meanwhile leaves the database as it was.
/// </summary>
internal static partial class SqliteUsageMigration
{
    /// <summary>How many entries between two progress lines.</summary>
    internal const int ProgressEvery = 100_000;

    public static void Run(SqliteConnection connection, SqliteTransaction transaction, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        using (var alter = connection.CreateCommand())
        {
            alter.Transaction = transaction;
            alter.CommandText = """
                ALTER TABLE spaces ADD COLUMN notes INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE spaces ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
                """;
            alter.ExecuteNonQuery();
        }

        long total;
        using (var count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = "SELECT count(*) FROM entries";
            total = (long)count.ExecuteScalar()!;
        }

        Log.Started(logger, total);
        var usage = new Dictionary<string, SpaceUsage>(StringComparer.Ordinal);
        var read = 0L;
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;

            // In table order, not by space: a scan of the rows, never a walk of the index. Databases
            // this old hold no state a write with a base left, so every replaced column is NULL.
            select.CommandText = "SELECT space, key, timestamp, device_id, value, others FROM entries";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                var space = reader.GetString(0);
                var key = reader.GetString(1);
                var state = WriteSetCodec.Decode(
                    reader.GetInt64(2),
                    reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5),
                    replaced: null);
                usage[space] = usage.GetValueOrDefault(space) + SpaceQuotas.UsageOf(key, state);
                if (++read % ProgressEvery == 0)
                {
                    Log.Progress(logger, read, total);
                }
            }
        }

        using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE spaces SET notes = $notes, bytes = $bytes WHERE space = $space";
            var space = update.Parameters.Add("$space", SqliteType.Text);
            var notes = update.Parameters.Add("$notes", SqliteType.Integer);
            var bytes = update.Parameters.Add("$bytes", SqliteType.Integer);
            foreach (var (name, counted) in usage)
            {
                space.Value = name;
                notes.Value = counted.Notes;
                bytes.Value = counted.Bytes;
                update.ExecuteNonQuery();
            }
        }

        Log.Finished(logger, usage.Count, read, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    // Event ids 214-216: the SQLite store's range (200-219). Counts only, never a space's name.
    private static partial class Log
    {
        [LoggerMessage(214, LogLevel.Information, "Upgrading the database to schema version 3: counting the notes and bytes of every space from its {Entries} entries, once; pushes wait until it is done", EventName = "SqliteUsageCountStarted")]
        public static partial void Started(ILogger logger, long entries);

        [LoggerMessage(215, LogLevel.Information, "Counted {Read} of {Entries} entries", EventName = "SqliteUsageCountProgress")]
        public static partial void Progress(ILogger logger, long read, long entries);

        [LoggerMessage(216, LogLevel.Information, "Upgraded the database to schema version 3: counted {Spaces} spaces ({Entries} entries) in {Seconds:0.0} s", EventName = "SqliteUsageCountFinished")]
        public static partial void Finished(ILogger logger, int spaces, long entries, double seconds);
    }
}
