using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Client;

// The outbox: local writes queued, read for a push, set aside when refused.
internal sealed partial class LocalStore
{
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
}
