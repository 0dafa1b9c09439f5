using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The on-disk layout of <see cref="SqliteSyncStore"/> (schema version 7, kept in <c>PRAGMA user_version</c>).
/// <code>
/// spaces(space TEXT PK, clock INTEGER,       -- the space's clock C (docs/protocol.md §3); absent = 0
///        notes INTEGER, bytes INTEGER,       -- its usage as SpaceQuotas counts it, kept by the writer
///        history_bytes INTEGER)              -- what its history costs (NoteVersionRecord.CostOf), kept by the writer
/// entries(space, key,                        -- PK (space, key): one row per key, its current state
///         seq INTEGER,                       -- the seq of the key's last change; UNIQUE (space, seq)
///         timestamp INTEGER,                 -- T, the highest timestamp seen for the key
///         device_id TEXT, value TEXT NULL,   -- the winner of W; value NULL = a tombstone
///         others TEXT NULL,                  -- the other heads, when there are any, see WriteSetCodec
///         replaced TEXT NULL)                -- what the heads replaced, when writes with a base did, see WriteSetCodec
/// history(hid INTEGER PK,                    -- commit order: a version taken later has a greater hid
///         space, key, timestamp, device_id,  -- UNIQUE (space, key, timestamp, device_id): the version's id
///         value TEXT NULL,                   -- its text, its delta, or '' for a head's (in its entry); NULL = a delete
///         base TEXT NULL,                    -- what it was edited from, see VersionListCodec; NULL = no base
///         committed_at INTEGER,              -- the writer's wall clock at the group commit, Unix ms
///         bytes INTEGER,                     -- the UTF-8 bytes of its text
///         head INTEGER,                      -- 1 while the version is one of its key's heads
///         delta_of INTEGER NULL)             -- schema 6: the hid of a later version whose text value is a
///                                            -- LineDelta against; 0 = a head whose text is its entry's;
///                                            -- NULL = value is the text (HistoryText)
/// meta(name TEXT PK, value TEXT)             -- 'epoch': the name of the database's history (every
///                                            -- space's); 'renew_epoch': present in a copy made by
///                                            -- the backup command, so a server started on it takes a new one
/// </code>
/// Version 1 lacked <c>meta</c>; opening it adds the table and an epoch. Versions 1 and 2 lacked the
/// usage columns; opening them adds the columns and counts every space's usage from its entries once
/// (<see cref="SqliteUsageMigration"/>). Versions 1 to 3 lacked <c>replaced</c>; opening them adds it,
/// NULL in every row, which reads as the state it always held. Versions 1 to 4 lacked <c>history</c> and
/// <c>history_bytes</c>; opening them adds both, empty: a note written before has no history until its
/// next write (nothing is known of when or by whom its earlier versions were committed). Versions 1 to 5
/// lacked <c>delta_of</c>; opening them adds it, NULL in every row: their texts are whole, and versions
/// replaced from then on are kept as deltas. Version 7 changed no table: its deltas may copy characters
/// of a line (<see cref="LineDelta"/>), which a version-6 server would misread as whole lines, so the
/// version keeps such a server from opening the database.
/// The UNIQUE index on (space, seq) makes "changes since" a range read; two partial indexes on history
/// make retention (<c>history_old</c>: a space's non-head versions, oldest first) and the trash
/// (<c>history_trash</c>: head deletes, newest first) range reads too. A newer version may add
/// columns and tables; this version ignores any it does not know, and refuses a database whose
/// user_version is greater than its own rather than misread it.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The version this code writes and reads.</summary>
    public const int Version = 7;

    /// <summary>
    /// The page size of a database this code creates (an existing one keeps its own). SQLite keeps an
    /// index entry in its page only up to about a quarter of the page, and moves the rest of a longer
    /// one to an overflow page of its own: with the default 4 KiB pages every key of over about 1,000
    /// bytes cost a whole extra page in the (space, key) index, 6.8 KB a note for 1.6 KB of key and
    /// value (docs/benchmarks.md, Storage). 8 KiB pages hold keys of the protocol's 1,024 bytes (docs/protocol.md §1.3).
    /// </summary>
    public const int PageSize = 8192;

    /// <summary>The database file inside the data directory.</summary>
    public const string FileName = "notesync.db";

    /// <summary>The read query of "changes since"; tests check its plan uses the (space, seq) index.</summary>
    public const string ReadSinceSql =
        "SELECT key, seq, timestamp, device_id, value, others, replaced FROM entries WHERE space = $space AND seq > $after ORDER BY seq LIMIT $limit";

    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS spaces (
            space TEXT NOT NULL PRIMARY KEY,
            clock INTEGER NOT NULL,
            notes INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            history_bytes INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS entries (
            space TEXT NOT NULL,
            key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            timestamp INTEGER NOT NULL,
            device_id TEXT NOT NULL,
            value TEXT NULL,
            others TEXT NULL,
            replaced TEXT NULL,
            PRIMARY KEY (space, key)
        );
        CREATE UNIQUE INDEX IF NOT EXISTS entries_space_seq ON entries (space, seq);
        CREATE TABLE IF NOT EXISTS history (
            hid INTEGER PRIMARY KEY,
            space TEXT NOT NULL,
            key TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            device_id TEXT NOT NULL,
            value TEXT NULL,
            base TEXT NULL,
            committed_at INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            head INTEGER NOT NULL,
            delta_of INTEGER NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS history_version ON history (space, key, timestamp, device_id);
        CREATE INDEX IF NOT EXISTS history_old ON history (space, hid) WHERE head = 0;
        CREATE INDEX IF NOT EXISTS history_trash ON history (space, hid) WHERE head = 1 AND value IS NULL;
        CREATE TABLE IF NOT EXISTS meta (
            name TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Creates the tables when missing, brings an older version up to this one, and checks the version.
    /// Runs on the writer connection, before the writer starts.
    /// </summary>
    public static void Ensure(SqliteConnection connection, ILogger logger)
    {
        var version = ScalarInt64(connection, "PRAGMA user_version");
        if (version > Version)
        {
            throw new InvalidOperationException(
                $"the database has schema version {version}, newer than this server's {Version}; upgrade the server");
        }

        if (version == Version)
        {
            // Nothing to write: a server restarted on a full disk must start, serve reads and wait for room.
            return;
        }

        using var transaction = connection.BeginTransaction();
        using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = CreateSql;
            create.ExecuteNonQuery();
        }

        if (version > 0)
        {
            // CREATE TABLE IF NOT EXISTS left the old tables as they were. Adding a column with a constant
            // default rewrites no row, so even a large database opens at once.
            AddColumnIfMissing(connection, transaction, "entries", "replaced", "TEXT NULL");
            AddColumnIfMissing(connection, transaction, "spaces", "history_bytes", "INTEGER NOT NULL DEFAULT 0");
            AddColumnIfMissing(connection, transaction, "history", "delta_of", "INTEGER NULL");
            if (version < 3)
            {
                SqliteUsageMigration.Run(connection, transaction, logger);
            }
        }

        using (var stamp = connection.CreateCommand())
        {
            stamp.Transaction = transaction;
            stamp.CommandText = $"PRAGMA user_version = {Version};";
            stamp.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static void AddColumnIfMissing(SqliteConnection connection, SqliteTransaction transaction, string table, string column, string definition)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            command.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Runs a one-value statement such as a PRAGMA.</summary>
    public static long ScalarInt64(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a one-value statement whose value is text (e.g. <c>PRAGMA journal_mode</c>).</summary>
    public static string ScalarString(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
