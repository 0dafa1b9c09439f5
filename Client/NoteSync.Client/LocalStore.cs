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
internal sealed class LocalStore : IDisposable
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

    public int OutboxCount()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The next writes to push, in id order, refused ones left out: at most <paramref name="max"/> of them,
    /// and no more than <paramref name="maxBytes"/> by <paramref name="sizeOf"/> (but always the first).
    /// <c>More</c> is true when writes remain after them; <c>Bytes</c> is their size. Rows are read one at
    /// a time, so a budget of a few large notes never loads the outbox whole.
    /// </summary>
    public (List<OutboxItem> Items, bool More, long Bytes) ReadOutbox(int max, long maxBytes, Func<OutboxItem, long> sizeOf)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, key, value, timestamp, base FROM outbox WHERE refused_code IS NULL ORDER BY id";
        using var reader = command.ExecuteReader();
        var items = new List<OutboxItem>();
        long bytes = 0;
        while (reader.Read())
        {
            if (items.Count == max)
            {
                return (items, true, bytes);
            }

            var item = new OutboxItem(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetString(4));
            var size = sizeOf(item);
            if (items.Count > 0 && bytes + size > maxBytes)
            {
                return (items, true, bytes);
            }

            items.Add(item);
            bytes += size;
        }

        return (items, false, bytes);
    }

    /// <summary>
    /// Sets a write aside as refused by the server: kept, never sent again as it is. The next write of its key
    /// already queued, if any, also names what the refused one's base named (<see cref="WriteBase.Fold"/>): the
    /// server never applied the refused write, so the versions it replaced here are still there.
    /// </summary>
    public void MarkRefused(long id, string code, string reason)
    {
        using var tx = _connection.BeginTransaction();
        Run(tx, "UPDATE outbox SET refused_code = $code, refused_reason = $reason WHERE id = $id", ("$code", code), ("$reason", reason), ("$id", id));
        long? laterId = null;
        string? folded = null;
        using (var next = _connection.CreateCommand())
        {
            next.Transaction = tx;
            next.CommandText = """
                SELECT later.id, later.base, refused.base FROM outbox refused
                JOIN outbox later ON later.key = refused.key AND later.id > refused.id AND later.refused_code IS NULL AND later.reupload = 0
                WHERE refused.id = $id ORDER BY later.id LIMIT 1
                """;
            next.Parameters.AddWithValue("$id", id);
            using var reader = next.ExecuteReader();
            if (reader.Read())
            {
                laterId = reader.GetInt64(0);
                folded = EncodeVersions(WriteBase.Fold(DecodeVersions(reader.IsDBNull(1) ? null : reader.GetString(1)), DecodeVersions(reader.IsDBNull(2) ? null : reader.GetString(2))));
            }
        }

        if (laterId is { } later)
        {
            Run(tx, "UPDATE outbox SET base = $base WHERE id = $id", ("$base", folded), ("$id", later));
        }

        tx.Commit();
    }

    /// <summary>The writes the server refused, oldest first.</summary>
    public List<(string Key, long Timestamp, string Code, string Reason)> ReadRefused()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key, timestamp, refused_code, refused_reason FROM outbox WHERE refused_code IS NOT NULL ORDER BY id";
        using var reader = command.ExecuteReader();
        var refused = new List<(string, long, string, string)>();
        while (reader.Read())
        {
            refused.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? "" : reader.GetString(3)));
        }

        return refused;
    }

    /// <summary>The newest edit of this device to <paramref name="key"/> in the outbox (not yet acknowledged; re-uploads are not edits), or null.</summary>
    public Write? LatestPendingWrite(string key, string deviceId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value, timestamp FROM outbox WHERE key = $key AND reupload = 0 ORDER BY id DESC LIMIT 1";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Write(reader.GetInt64(1), deviceId, reader.IsDBNull(0) ? null : reader.GetString(0)) : null;
    }

    /// <summary>
    /// One transaction: the writes join the outbox in order, each with its base (null: none), the entries' new
    /// states and the clock are saved.
    /// </summary>
    public void AddLocalWrites(IReadOnlyList<(string Key, Write Write, IReadOnlyList<VersionId>? Base, EntryState State)> writes, long clock)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var (key, write, writeBase, state) in writes)
        {
            // A new edit replaces the refused one: it is what goes up now, and the refusal no longer applies. The
            // server never applied the refused one, so the new one also names what that one had replaced here.
            var @base = writeBase;
            foreach (var dropped in DeleteRefused(tx, key))
            {
                @base = WriteBase.Fold(@base, dropped);
            }

            Run(tx, "INSERT INTO outbox (key, value, timestamp, base) VALUES ($key, $value, $ts, $base)", ("$key", key), ("$value", write.Value), ("$ts", write.Timestamp), ("$base", EncodeVersions(@base)));

            SaveEntry(tx, "writes", key, state);
        }

        SaveMeta(tx, "clock", clock);
        tx.Commit();
    }

    /// <summary>Deletes the refused writes of <paramref name="key"/>; returns their bases.</summary>
    private List<List<VersionId>?> DeleteRefused(SqliteTransaction tx, string key)
    {
        var bases = new List<List<VersionId>?>();
        using var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "DELETE FROM outbox WHERE key = $key AND refused_code IS NOT NULL RETURNING base";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            bases.Add(DecodeVersions(reader.IsDBNull(0) ? null : reader.GetString(0)));
        }

        return bases;
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

/// <summary>
/// One queued local write. <see cref="Base"/> is its base as stored (the wire's JSON), null for a write without
/// one (a re-upload, a forced timestamp, a write queued before causality), so every send carries the same.
/// </summary>
internal sealed record OutboxItem(long Id, string Key, string? Value, long Timestamp, string? Base = null)
{
    /// <summary>The change a push carries for this write.</summary>
    public Change ToChange(string deviceId) => new()
    {
        Key = Key,
        Value = Value,
        Timestamp = Timestamp,
        DeviceId = deviceId,
        Base = Base is null ? null : JsonSerializer.Deserialize(Base, NoteSyncJsonContext.Wire.ListVersionRef),
    };
}

/// <summary>The cursor's new epoch (null: none), saved with the frame.</summary>
internal readonly record struct EpochUpdate(string? Epoch);

/// <summary>
/// A reset's bookkeeping, saved with the frame it came from: <see cref="Begin"/> on its first frame (earlier
/// records dropped), the states the frame brought (<see cref="Seen"/>), and on its last frame the
/// re-uploads (<see cref="Reupload"/>), queued as the reset ends.
/// </summary>
internal sealed record ResetStep(bool Begin, IReadOnlyList<(string Key, EntryState State)> Seen, IReadOnlyList<(string Key, Write Write, IReadOnlyList<VersionId>? Base)>? Reupload);
