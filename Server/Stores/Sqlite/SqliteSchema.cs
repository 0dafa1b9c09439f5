using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The on-disk layout of <see cref="SqliteSyncStore"/> (schema version 8, kept in <c>PRAGMA user_version</c>).
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
/// history_names(id INTEGER PK, name UNIQUE)  -- the spaces and device ids history names, each once
/// history_notes(nid INTEGER PK, sid, key)    -- UNIQUE (sid, key): the notes history names, each once
/// history(nid, hid,                          -- PK (nid, hid), WITHOUT ROWID: a note's versions side by side;
///                                            -- hid is commit order: a version taken later has a greater hid
///         sid,                               -- the note's space (history_names.id)
///         timestamp, did,                    -- with nid, the version's id (did: history_names.id of its device)
///         value TEXT NULL,                   -- its text, its delta, or '' for a head's (in its entry); NULL = a delete
///         base TEXT NULL,                    -- what it was edited from, see VersionListCodec; NULL = no base
///         committed_at INTEGER,              -- the writer's wall clock at the group commit, Unix ms
///         bytes INTEGER,                     -- the UTF-8 bytes of its text
///         head INTEGER,                      -- 1 while the version is one of its key's heads
///         delta_of INTEGER NULL)             -- the hid of a later version of the note whose text value is a
///                                            -- LineDelta against; 0 = a head whose text is its entry's;
///                                            -- NULL = value is the text (HistoryText)
/// meta(name TEXT PK, value TEXT)             -- 'epoch': the name of the database's history (every
///                                            -- space's); 'renew_epoch': present in a copy made by
///                                            -- the backup command, so a server started on it takes a new one
/// </code>
/// Version 1 lacked <c>meta</c>; opening it adds the table and an epoch. Versions 1 and 2 lacked the
/// usage columns; opening them adds the columns and counts every space's usage from its entries once
/// (<see cref="SqliteUsageMigration"/>). Versions 1 to 3 lacked <c>replaced</c>; opening them adds it,
/// NULL in every row, which reads as the state it always held. Versions 1 to 4 lacked history and
/// <c>history_bytes</c>; opening them adds both, empty: a note written before has no history until its
/// next write (nothing is known of when or by whom its earlier versions were committed). Versions 5 to 7
/// kept history in one row per version naming its space, key and device in full, with a unique index
/// on them; opening them copies it into this layout once (<see cref="SqliteHistoryMigration"/>), with
/// the same hids, texts, deltas and bases. Version 5 lacked <c>delta_of</c>: its texts are whole, and
/// versions replaced from then on are kept as deltas. Since version 7 a delta may copy characters of a
/// line (<see cref="LineDelta"/>), which a version-6 server would misread as whole lines.
/// The UNIQUE index on (space, seq) makes "changes since" a range read; two partial indexes on history
/// make retention (<c>history_old</c>: a space's non-head versions, oldest first) and the trash
/// (<c>history_trash</c>: head deletes, newest first) range reads too; a version is found among its
/// note's rows, which retention bounds. A newer version may add columns and tables; this version ignores
/// any it does not know, and refuses a database whose user_version is greater than its own rather than
/// misread it.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The version this code writes and reads.</summary>
    public const int Version = 8;

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

    /// <summary>A space's oldest non-head version, which retention by bytes drops first; tests check its plan uses <c>history_old</c>.</summary>
    public const string OldestNonHeadSql = "SELECT nid, hid FROM history WHERE sid = $sid AND head = 0 ORDER BY hid LIMIT 1";

    /// <summary>
    /// A space's trash ($space, $limit): its notes whose winner is a delete, newest first, each with when
    /// and by whom it was deleted. A head delete beside a sibling with a greater timestamp is not in the
    /// trash. Tests check its plan walks <c>history_trash</c>.
    /// </summary>
    public const string TrashSql = """
        SELECT n.key, h.committed_at, d.name, h.timestamp, h.nid
        FROM history h
            JOIN history_notes n ON n.nid = h.nid
            JOIN history_names d ON d.id = h.did
            JOIN entries e ON e.space = $space AND e.key = n.key
        WHERE h.sid = (SELECT id FROM history_names WHERE name = $space) AND h.head = 1 AND h.value IS NULL
            AND e.value IS NULL AND e.timestamp = h.timestamp AND e.device_id = d.name
        ORDER BY h.hid DESC LIMIT $limit
        """;

    /// <summary>
    /// The SQL of a note's id from its space's name and its key, for reads ($space, $key): null when
    /// history has never held a version of it.
    /// </summary>
    public const string NoteIdSql = "(SELECT n.nid FROM history_notes n JOIN history_names s ON s.id = n.sid WHERE s.name = $space AND n.key = $key)";

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
        CREATE TABLE IF NOT EXISTS history_names (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE IF NOT EXISTS history_notes (
            nid INTEGER PRIMARY KEY,
            sid INTEGER NOT NULL,
            key TEXT NOT NULL,
            UNIQUE (sid, key)
        );
        CREATE TABLE IF NOT EXISTS history (
            nid INTEGER NOT NULL,
            hid INTEGER NOT NULL,
            sid INTEGER NOT NULL,
            timestamp INTEGER NOT NULL,
            did INTEGER NOT NULL,
            value TEXT NULL,
            base TEXT NULL,
            committed_at INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            head INTEGER NOT NULL,
            delta_of INTEGER NULL,
            PRIMARY KEY (nid, hid)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS history_old ON history (sid, hid) WHERE head = 0;
        CREATE INDEX IF NOT EXISTS history_trash ON history (sid, hid) WHERE head = 1 AND value IS NULL;
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

        // Before the tables are created: the old history table and its indexes would keep the names.
        var oldHistory = version > 0 && SqliteHistoryMigration.SetAside(connection, transaction);
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
            if (version < 3)
            {
                SqliteUsageMigration.Run(connection, transaction, logger);
            }
        }

        if (oldHistory)
        {
            SqliteHistoryMigration.Run(connection, transaction, logger);
        }

        using (var stamp = connection.CreateCommand())
        {
            stamp.Transaction = transaction;
            stamp.CommandText = $"PRAGMA user_version = {Version};";
            stamp.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    internal static void AddColumnIfMissing(SqliteConnection connection, SqliteTransaction transaction, string table, string column, string definition)
    {
        if (ScalarInt64(connection, $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}'", transaction) == 0)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Runs a one-value statement such as a PRAGMA, inside <paramref name="transaction"/> when there is one.</summary>
    public static long ScalarInt64(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
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
