using System.Text.Json;
using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// The client's SQLite file, <c>notesync.db</c> in the data folder (WAL, synchronous=FULL). Layout:
/// <list type="bullet">
/// <item><c>meta(name, value)</c>: <c>clock</c> (the Lamport clock), <c>last_ack</c> (the cursor) and
/// <c>reset</c> (1 while a reset is being read).</item>
/// <item><c>meta_text(name, value)</c>: <c>epoch</c>, the history <c>last_ack</c> belongs to (absent: none yet).</item>
/// <item><c>writes(key, timestamp, device_id, value)</c>: each entry's heads, so a conflict survives a restart;
/// <c>writes_replaced(key, floor, named)</c>: what they replaced (<see cref="ReplacedVersions"/>, <c>named</c> as
/// the wire's JSON list). A key without a row there has every version below its lowest head replaced and none
/// named: what writes without <c>base</c> leave, and every state of the layouts before schema 3.</item>
/// <item><c>outbox(id, key, value, timestamp, reupload, refused_code, refused_reason, base)</c>: writes not yet
/// acknowledged, pushed in <c>id</c> order; <c>reupload</c> is 1 for a write put back after a reset (not an
/// edit of this device); <c>refused_code</c> and <c>refused_reason</c> hold the server's refusal of a write it
/// will never take as is (not sent again; the next local write of its key replaces it); <c>base</c> the write's
/// base as the wire's JSON list, NULL for a write without one, kept as text so that every send carries the same.</item>
/// <item><c>reset_seen(key, timestamp, device_id, value)</c> and <c>reset_seen_replaced</c>: while a reset is
/// read, the states the server sent, so the re-upload decision survives a crash in the middle of it.</item>
/// </list>
/// Tables and columns are only ever added (<c>PRAGMA user_version</c> counts the steps), so a store from an
/// older client opens; a reader ignores what it does not know. Not thread-safe: <see cref="NoteSyncClient"/>
/// calls it under its lock.
/// </summary>
internal sealed partial class LocalStore : IDisposable
{
    private readonly SqliteConnection _connection;

    public LocalStore(string directory)
    {
        Directory.CreateDirectory(directory);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "notesync.db"),
            // No pool: a disposed client must leave the file closed, so a new client (or a test) can open it.
            Pooling = false,
        };
        _connection = new SqliteConnection(builder.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode = WAL");
        Execute("PRAGMA synchronous = FULL");
        Execute("""
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS writes (key TEXT NOT NULL, timestamp INTEGER NOT NULL, device_id TEXT NOT NULL, value TEXT);
            CREATE INDEX IF NOT EXISTS writes_key ON writes (key);
            CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT, timestamp INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS outbox_key ON outbox (key);
            """);
        Migrate();
    }

    /// <summary>The schema steps after the first layout, each applied once, in order, in one transaction with its version.</summary>
    private static readonly string[] Migrations =
    [
        // 1: epochs and resets.
        """
        CREATE TABLE IF NOT EXISTS meta_text (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        ALTER TABLE outbox ADD COLUMN reupload INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE IF NOT EXISTS reset_seen (key TEXT NOT NULL, timestamp INTEGER NOT NULL, device_id TEXT NOT NULL, value TEXT);
        CREATE INDEX IF NOT EXISTS reset_seen_key ON reset_seen (key);
        """,

        // 2: writes the server refused for good, kept aside with its reason.
        """
        ALTER TABLE outbox ADD COLUMN refused_code TEXT;
        ALTER TABLE outbox ADD COLUMN refused_reason TEXT;
        """,

        // 3: causality. Existing rows need nothing: their states are "everything below the heads replaced"
        // (no row in *_replaced), and their writes went, or go, without base, as they were made.
        """
        ALTER TABLE outbox ADD COLUMN base TEXT;
        CREATE TABLE IF NOT EXISTS writes_replaced (key TEXT PRIMARY KEY, floor INTEGER NOT NULL, named TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS reset_seen_replaced (key TEXT PRIMARY KEY, floor INTEGER NOT NULL, named TEXT NOT NULL);
        """,
    ];

    /// <summary>The schema version this client writes; a store at this version needs no migration.</summary>
    public const int SchemaVersion = 3;

    private void Migrate()
    {
        using var read = _connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var step = version; step < Migrations.Length; step++)
        {
            using var tx = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = Migrations[step] + $"PRAGMA user_version = {step + 1};";
            command.ExecuteNonQuery();
            tx.Commit();
        }
    }

    public long ReadMeta(string name)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    /// <summary>The epoch of the cursor, or null while the device has none.</summary>
    public string? ReadEpoch()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta_text WHERE name = 'epoch'";
        return command.ExecuteScalar() as string;
    }

    /// <summary>True while a reset is being read (its last page not yet applied).</summary>
    public bool ResetInProgress() => ReadMeta("reset") == 1;

    /// <summary>Loads every entry into <paramref name="replica"/>.</summary>
    public void LoadReplica(LwwMap replica) => Load("writes", replica);

    /// <summary>Loads the states the server sent since the reset in progress began into <paramref name="seen"/>.</summary>
    public void LoadResetSeen(LwwMap seen) => Load("reset_seen", seen);

    private void Load(string table, LwwMap into)
    {
        var replaced = new Dictionary<string, ReplacedVersions>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = $"SELECT key, floor, named FROM {table}_replaced";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                replaced[reader.GetString(0)] = ReplacedVersions.Of(reader.GetInt64(1), DecodeVersions(reader.GetString(2))!);
            }
        }

        var heads = new Dictionary<string, List<Write>>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = $"SELECT key, timestamp, device_id, value FROM {table}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = reader.GetString(0);
                if (!heads.TryGetValue(key, out var list))
                {
                    heads[key] = list = [];
                }

                list.Add(new Write(reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }

        foreach (var (key, list) in heads)
        {
            var summary = replaced.GetValueOrDefault(key) ?? ReplacedVersions.None.With(list.Min(w => w.Timestamp), []);
            into.Apply(key, EntryState.OfHeads(list, summary));
        }
    }

    /// <summary>
    /// One transaction for an applied frame: the changed entries, the clock, the cursor, and (for the
    /// answer to a push) the removal of the acknowledged outbox writes, ids up to <paramref name="ackedUpToId"/>
    /// (refused writes, never sent, stay);
    /// the epoch when <paramref name="epoch"/> is given, and the reset's bookkeeping when <paramref name="reset"/> is.
    /// </summary>
    public void ApplyFrame(IReadOnlyList<(string Key, EntryState State)> changed, long clock, long lastAck, long? ackedUpToId, EpochUpdate? epoch = null, ResetStep? reset = null)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var (key, state) in changed)
        {
            SaveEntry(tx, "writes", key, state);
        }

        SaveMeta(tx, "clock", clock);
        SaveMeta(tx, "last_ack", lastAck);
        if (epoch is { } e)
        {
            Run(tx, e.Epoch is null ? "DELETE FROM meta_text WHERE name = 'epoch'" : "INSERT INTO meta_text (name, value) VALUES ('epoch', $value) ON CONFLICT(name) DO UPDATE SET value = excluded.value", ("$value", e.Epoch));
        }

        if (reset is not null)
        {
            SaveResetStep(tx, reset);
        }

        if (ackedUpToId is { } upTo)
        {
            using var command = _connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "DELETE FROM outbox WHERE id <= $id AND refused_code IS NULL";
            command.Parameters.AddWithValue("$id", upTo);
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private void SaveResetStep(SqliteTransaction tx, ResetStep step)
    {
        if (step.Begin)
        {
            Run(tx, "DELETE FROM reset_seen");
            Run(tx, "DELETE FROM reset_seen_replaced");
            SaveMeta(tx, "reset", 1);
        }

        if (step.Reupload is { } reupload)
        {
            // The reset is over: what the server sent is no longer needed, the re-uploads are queued in the same commit.
            // Each puts a write of the replica back as it was, naming the server's versions it had replaced here.
            Run(tx, "DELETE FROM reset_seen");
            Run(tx, "DELETE FROM reset_seen_replaced");
            SaveMeta(tx, "reset", 0);
            foreach (var (key, write, @base) in reupload)
            {
                Run(tx, "INSERT INTO outbox (key, value, timestamp, reupload, base) VALUES ($key, $value, $ts, 1, $base)", ("$key", key), ("$value", write.Value), ("$ts", write.Timestamp), ("$base", EncodeVersions(@base)));
            }

            return;
        }

        foreach (var (key, state) in step.Seen)
        {
            SaveEntry(tx, "reset_seen", key, state);
        }
    }

    private void Run(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    private void SaveEntry(SqliteTransaction tx, string table, string key, EntryState state)
    {
        using (var delete = _connection.CreateCommand())
        {
            delete.Transaction = tx;
            delete.CommandText = $"DELETE FROM {table} WHERE key = $key";
            delete.Parameters.AddWithValue("$key", key);
            delete.ExecuteNonQuery();
        }

        foreach (var w in state.Writes)
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO {table} (key, timestamp, device_id, value) VALUES ($key, $ts, $device, $value)";
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$ts", w.Timestamp);
            insert.Parameters.AddWithValue("$device", w.DeviceId);
            insert.Parameters.AddWithValue("$value", (object?)w.Value ?? DBNull.Value);
            insert.ExecuteNonQuery();
        }

        // No row for what a state without base replaced (everything below its heads), by far the most common.
        Run(tx, $"DELETE FROM {table}_replaced WHERE key = $key", ("$key", key));
        var replaced = state.Replaced;
        if (replaced.Floor != state.Writes[^1].Timestamp || replaced.Named.Length > 0)
        {
            Run(tx, $"INSERT INTO {table}_replaced (key, floor, named) VALUES ($key, $floor, $named)", ("$key", key), ("$floor", replaced.Floor), ("$named", EncodeVersions(replaced.Named.ToArray())));
        }
    }

    /// <summary>A list of versions as the wire's JSON (a base, or the named part of a replaced summary); null stays null.</summary>
    private static string? EncodeVersions(IReadOnlyList<VersionId>? versions) =>
        versions is null ? null : JsonSerializer.Serialize(WriteBase.ToWire(versions)!, NoteSyncJsonContext.Wire.ListVersionRef);

    /// <summary>The versions <see cref="EncodeVersions"/> made <paramref name="text"/> of, in the same order; null stays null.</summary>
    private static List<VersionId>? DecodeVersions(string? text) =>
        text is null ? null : [.. JsonSerializer.Deserialize(text, NoteSyncJsonContext.Wire.ListVersionRef)!.Select(v => new VersionId(v.Timestamp, v.DeviceId))];

    private void SaveMeta(SqliteTransaction tx, string name, long value)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "INSERT INTO meta (name, value) VALUES ($name, $value) ON CONFLICT(name) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}
