using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Client;

/// <summary>
/// The client's SQLite file, <c>notesync.db</c> in the data folder (WAL, synchronous=FULL). Layout:
/// <list type="bullet">
/// <item><c>meta(name, value)</c>: <c>clock</c> (the Lamport clock) and <c>last_ack</c> (the cursor).</item>
/// <item><c>writes(key, timestamp, device_id, value)</c>: each entry's write set W, so a conflict survives a restart.</item>
/// <item><c>outbox(id, key, value, timestamp)</c>: local writes not yet acknowledged, pushed in <c>id</c> order.</item>
/// </list>
/// Tables and columns are only ever added; a reader ignores what it does not know. Not thread-safe:
/// <see cref="NoteSyncClient"/> calls it under its lock.
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
    }

    public long ReadMeta(string name)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    /// <summary>Loads every entry into <paramref name="replica"/>.</summary>
    public void LoadReplica(LwwMap replica)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key, timestamp, device_id, value FROM writes";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            replica.Apply(reader.GetString(0), new Write(reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
    }

    public int OutboxCount()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<OutboxItem> ReadOutbox(int max)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, key, value, timestamp FROM outbox ORDER BY id LIMIT $max";
        command.Parameters.AddWithValue("$max", max);
        using var reader = command.ExecuteReader();
        var items = new List<OutboxItem>();
        while (reader.Read())
        {
            items.Add(new OutboxItem(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3)));
        }

        return items;
    }

    /// <summary>The newest outbox write to <paramref name="key"/> (not yet acknowledged), or null.</summary>
    public Write? LatestPendingWrite(string key, string deviceId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value, timestamp FROM outbox WHERE key = $key ORDER BY id DESC LIMIT 1";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Write(reader.GetInt64(1), deviceId, reader.IsDBNull(0) ? null : reader.GetString(0)) : null;
    }

    /// <summary>One transaction: the writes join the outbox in order, the entries' new states and the clock are saved.</summary>
    public void AddLocalWrites(IReadOnlyList<(string Key, Write Write, EntryState State)> writes, long clock)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var (key, write, state) in writes)
        {
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = tx;
                command.CommandText = "INSERT INTO outbox (key, value, timestamp) VALUES ($key, $value, $ts)";
                command.Parameters.AddWithValue("$key", key);
                command.Parameters.AddWithValue("$value", (object?)write.Value ?? DBNull.Value);
                command.Parameters.AddWithValue("$ts", write.Timestamp);
                command.ExecuteNonQuery();
            }

            SaveEntry(tx, key, state);
        }

        SaveMeta(tx, "clock", clock);
        tx.Commit();
    }

    /// <summary>
    /// One transaction for an applied frame: the changed entries, the clock, the cursor, and (for the
    /// answer to a push) the removal of the acknowledged outbox writes, ids up to <paramref name="ackedUpToId"/>.
    /// </summary>
    public void ApplyFrame(IReadOnlyList<(string Key, EntryState State)> changed, long clock, long lastAck, long? ackedUpToId)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var (key, state) in changed)
        {
            SaveEntry(tx, key, state);
        }

        SaveMeta(tx, "clock", clock);
        SaveMeta(tx, "last_ack", lastAck);
        if (ackedUpToId is { } upTo)
        {
            using var command = _connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "DELETE FROM outbox WHERE id <= $id";
            command.Parameters.AddWithValue("$id", upTo);
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private void SaveEntry(SqliteTransaction tx, string key, EntryState state)
    {
        using (var delete = _connection.CreateCommand())
        {
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM writes WHERE key = $key";
            delete.Parameters.AddWithValue("$key", key);
            delete.ExecuteNonQuery();
        }

        foreach (var w in state.Writes)
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO writes (key, timestamp, device_id, value) VALUES ($key, $ts, $device, $value)";
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$ts", w.Timestamp);
            insert.Parameters.AddWithValue("$device", w.DeviceId);
            insert.Parameters.AddWithValue("$value", (object?)w.Value ?? DBNull.Value);
            insert.ExecuteNonQuery();
        }
    }

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

/// <summary>One queued local write.</summary>
internal sealed record OutboxItem(long Id, string Key, string? Value, long Timestamp);
