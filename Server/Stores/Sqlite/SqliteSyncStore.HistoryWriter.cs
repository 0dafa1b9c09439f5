using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

// History, as the writer keeps it: every version a push takes as a head is inserted, the heads of each
// changed key are marked, and retention runs, all inside the push's savepoint (docs/architecture.md, History).
internal sealed partial class SqliteSyncStore
{
    private readonly HistoryLimits _history;
    private readonly TimeProvider _time;
    private readonly HistoryStatements _historyWriter;

    // The writer's wall clock when the group began, Unix ms: every version the group takes carries it.
    // Never less than any earlier group's (CommitGroup), so retention by age drops a prefix of hid order.
    private long _groupCommittedAt;

    /// <summary>A write a push took as a head (merge outcome Replaced or Joined), in the push's order.</summary>
    private readonly record struct TakenVersion(string Key, Write Write, VersionId[]? Base);

    /// <summary>
    /// Records the versions a push took and applies retention: per changed key its count and age, then the
    /// space's bytes, oldest non-head versions first. Runs after the push's entries and space row are written.
    /// </summary>
    private void RecordHistory(SqliteTransaction transaction, string space, List<TakenVersion> taken, Dictionary<string, StoredEntry> changed, StoredEntry[] entries)
    {
        var bytes = _historyWriter.SelectBytes(transaction, space);

        // Per key, the last head with text this push inserted: the newest version of the note, which the
        // versions it replaced are kept as deltas against.
        var newest = new Dictionary<string, (long Hid, string Text)>(StringComparer.Ordinal);
        foreach (var version in taken)
        {
            // A version inserted as the head it is, so marking heads rewrites no row and no index entry.
            var isHead = changed[version.Key].State.Writes.Contains(version.Write);
            var (cost, hid) = _historyWriter.Insert(transaction, space, version, isHead, _groupCommittedAt);
            bytes += cost;
            if (hid is { } inserted && isHead && version.Write.Value is { } text)
            {
                newest[version.Key] = (inserted, text);
            }
        }

        var cutoff = _groupCommittedAt - _history.MaxAgeMs;
        foreach (var entry in entries)
        {
            var replaced = _historyWriter.MarkHeads(transaction, space, entry);
            if (newest.TryGetValue(entry.Key, out var target))
            {
                _historyWriter.KeepAsDeltas(transaction, replaced, target.Hid, target.Text);
            }

            bytes -= _historyWriter.TrimKey(transaction, space, entry.Key, _history.VersionsPerNote, cutoff);
        }

        while (bytes > _history.MaxBytesPerSpace && _historyWriter.DropOldest(transaction, space) is { } cost)
        {
            bytes -= cost;
        }

        _historyWriter.SetBytes(transaction, space, bytes);
    }

    /// <summary>The writer's prepared statements on <c>history</c>.</summary>
    private sealed class HistoryStatements : IDisposable
    {
        // What a deleted version cost (NoteVersionRecord.CostOf): CAST AS BLOB gives a text's UTF-8 bytes.
        private const string Cost = "bytes + length(CAST(device_id AS BLOB))";

        // A version that stopped being a head: a text kept whole may become a delta.
        private const string ReplacedColumns = "hid, value, delta_of";

        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _clearHeads;
        private readonly SqliteCommand _clearOtherHeads;
        private readonly SqliteCommand _markHead;
        private readonly SqliteCommand _setText;
        private readonly SqliteCommand _selectText;
        private readonly SqliteCommand _trimKey;
        private readonly SqliteCommand _dropOldest;
        private readonly SqliteCommand _selectBytes;
        private readonly SqliteCommand _setBytes;

        public HistoryStatements(SqliteConnection connection)
        {
            // A version already held (a write that was a head before, re-taken with a base that changed
            // what is replaced) is not taken twice.
            _insert = WriterStatements.Create(
                connection,
                """
                INSERT INTO history (space, key, timestamp, device_id, value, base, committed_at, bytes, head)
                VALUES ($space, $key, $timestamp, $device_id, $value, $base, $committed_at, $bytes, $head)
                ON CONFLICT DO NOTHING
                RETURNING hid
                """,
                "$space", "$key", "$timestamp", "$device_id", "$value", "$base", "$committed_at", "$bytes", "$head");

            // Rows whose flag is already right are left alone: an update that changes nothing still
            // rewrites the row and moves it in and out of the partial indexes on head. The rows that stop
            // being heads come back with their texts, to be kept as deltas.
            _clearHeads = WriterStatements.Create(
                connection,
                $"UPDATE history SET head = 0 WHERE space = $space AND key = $key AND head = 1 RETURNING {ReplacedColumns}",
                "$space", "$key");
            _clearOtherHeads = WriterStatements.Create(
                connection,
                $"UPDATE history SET head = 0 WHERE space = $space AND key = $key AND head = 1 AND NOT (timestamp = $timestamp AND device_id = $device_id) RETURNING {ReplacedColumns}",
                "$space", "$key", "$timestamp", "$device_id");
            _markHead = WriterStatements.Create(
                connection,
                "UPDATE history SET head = 1 WHERE space = $space AND key = $key AND timestamp = $timestamp AND device_id = $device_id AND head = 0 RETURNING hid, delta_of",
                "$space", "$key", "$timestamp", "$device_id");
            _setText = WriterStatements.Create(connection, "UPDATE history SET value = $value, delta_of = $delta_of WHERE hid = $hid", "$hid", "$value", "$delta_of");
            _selectText = WriterStatements.Create(connection, "SELECT value, delta_of FROM history WHERE hid = $hid", "$hid");

            // Non-heads committed before the cutoff, or past the key's newest $keep versions (heads counted
            // among them). Both are a prefix of the key's versions in hid order (commit times never go back:
            // CommitGroup), so a delta's later version never goes before it.
            _trimKey = WriterStatements.Create(
                connection,
                $"""
                DELETE FROM history
                WHERE space = $space AND key = $key AND head = 0 AND (committed_at <= $cutoff OR hid <= coalesce(
                    (SELECT hid FROM history WHERE space = $space AND key = $key ORDER BY hid DESC LIMIT 1 OFFSET $keep), 0))
                RETURNING {Cost}
                """,
                "$space", "$key", "$cutoff", "$keep");
            _dropOldest = WriterStatements.Create(
                connection,
                $"DELETE FROM history WHERE hid = (SELECT hid FROM history WHERE space = $space AND head = 0 ORDER BY hid LIMIT 1) RETURNING {Cost}",
                "$space");
            _selectBytes = WriterStatements.Create(connection, "SELECT history_bytes FROM spaces WHERE space = $space", "$space");
            _setBytes = WriterStatements.Create(connection, "UPDATE spaces SET history_bytes = $bytes WHERE space = $space", "$space", "$bytes");
        }

        /// <summary>Inserts a version, a head or not; returns its cost and row, or 0 and null when history held it already.</summary>
        public (long Cost, long? Hid) Insert(SqliteTransaction transaction, string space, TakenVersion version, bool head, long committedAt)
        {
            var (key, write, @base) = version;
            var bytes = write.Value is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(write.Value);
            _insert.Transaction = transaction;
            _insert.Parameters[0].Value = space;
            _insert.Parameters[1].Value = key;
            _insert.Parameters[2].Value = write.Timestamp;
            _insert.Parameters[3].Value = write.DeviceId;
            _insert.Parameters[4].Value = (object?)write.Value ?? DBNull.Value;
            _insert.Parameters[5].Value = (object?)VersionListCodec.Encode(@base) ?? DBNull.Value;
            _insert.Parameters[6].Value = committedAt;
            _insert.Parameters[7].Value = bytes;
            _insert.Parameters[8].Value = head ? 1 : 0;
            using var reader = _insert.ExecuteReader();
            return reader.Read() ? (NoteVersionRecord.CostOf(bytes, write.DeviceId), reader.GetInt64(0)) : (0, null);
        }

        /// <summary>
        /// Marks exactly the entry's current heads as heads among its key's versions; returns the versions
        /// that stopped being heads and still hold their whole text. A version marked a head again gets its
        /// whole text back: heads are never deltas, so retention, which never drops a head, never leaves a
        /// delta without the version it was made against.
        /// </summary>
        public List<(long Hid, string Text)> MarkHeads(SqliteTransaction transaction, string space, StoredEntry entry)
        {
            var heads = entry.State.Writes;
            SqliteCommand clear;
            if (heads.Length == 1)
            {
                // The usual case: one head, which stays marked while the others are cleared.
                clear = _clearOtherHeads;
                clear.Parameters[2].Value = heads[0].Timestamp;
                clear.Parameters[3].Value = heads[0].DeviceId;
            }
            else
            {
                clear = _clearHeads;
            }

            clear.Transaction = transaction;
            clear.Parameters[0].Value = space;
            clear.Parameters[1].Value = entry.Key;
            var replaced = new List<(long Hid, string Text)>();
            using (var reader = clear.ExecuteReader())
            {
                while (reader.Read())
                {
                    if (!reader.IsDBNull(1) && reader.IsDBNull(2))
                    {
                        replaced.Add((reader.GetInt64(0), reader.GetString(1)));
                    }
                }
            }

            _markHead.Transaction = transaction;
            _markHead.Parameters[0].Value = space;
            _markHead.Parameters[1].Value = entry.Key;
            var marked = new HashSet<long>();
            foreach (var head in heads)
            {
                _markHead.Parameters[2].Value = head.Timestamp;
                _markHead.Parameters[3].Value = head.DeviceId;
                long? wasDelta = null;
                using (var reader = _markHead.ExecuteReader())
                {
                    if (reader.Read())
                    {
                        marked.Add(reader.GetInt64(0));
                        wasDelta = reader.IsDBNull(1) ? null : reader.GetInt64(0);
                    }
                }

                if (wasDelta is { } hid)
                {
                    SetText(transaction, hid, WholeText(transaction, hid), null);
                }
            }

            // With several heads all are cleared and marked again: those are heads still.
            replaced.RemoveAll(r => marked.Contains(r.Hid));
            return replaced;
        }

        /// <summary>
        /// Keeps each of <paramref name="replaced"/> as a delta against <paramref name="newer"/>, the text of
        /// row <paramref name="target"/>: a head this push inserted, so later than every one of them (retention,
        /// oldest first, drops a delta before what it names), where the delta is smaller.
        /// </summary>
        public void KeepAsDeltas(SqliteTransaction transaction, List<(long Hid, string Text)> replaced, long target, string newer)
        {
            foreach (var (hid, text) in replaced)
            {
                if (hid < target && LineDelta.Encode(newer, text) is { } delta)
                {
                    SetText(transaction, hid, delta, target);
                }
            }
        }

        /// <summary>Drops the key's versions that count and age leave out; returns what they cost.</summary>
        public long TrimKey(SqliteTransaction transaction, string space, string key, int keep, long cutoff)
        {
            _trimKey.Transaction = transaction;
            _trimKey.Parameters[0].Value = space;
            _trimKey.Parameters[1].Value = key;
            _trimKey.Parameters[2].Value = cutoff;
            _trimKey.Parameters[3].Value = keep;
            return SumOf(_trimKey);
        }

        /// <summary>Drops the space's oldest non-head version; returns its cost, or null when there is none.</summary>
        public long? DropOldest(SqliteTransaction transaction, string space)
        {
            _dropOldest.Transaction = transaction;
            _dropOldest.Parameters[0].Value = space;
            using var reader = _dropOldest.ExecuteReader();
            return reader.Read() ? reader.GetInt64(0) : null;
        }

        public long SelectBytes(SqliteTransaction transaction, string space)
        {
            _selectBytes.Transaction = transaction;
            _selectBytes.Parameters[0].Value = space;
            return _selectBytes.ExecuteScalar() is long bytes ? bytes : 0;
        }

        public void SetBytes(SqliteTransaction transaction, string space, long bytes)
        {
            _setBytes.Transaction = transaction;
            _setBytes.Parameters[0].Value = space;
            _setBytes.Parameters[1].Value = bytes;
            _setBytes.ExecuteNonQuery();
        }

        private string WholeText(SqliteTransaction transaction, long hid)
        {
            _selectText.Transaction = transaction;
            _selectText.Parameters[0].Value = hid;
            string value;
            long? deltaOf;
            using (var reader = _selectText.ExecuteReader())
            {
                reader.Read();
                value = reader.GetString(0);
                deltaOf = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            }

            return HistoryText.Resolve(transaction.Connection!, transaction, value, deltaOf);
        }

        private void SetText(SqliteTransaction transaction, long hid, string value, long? deltaOf)
        {
            _setText.Transaction = transaction;
            _setText.Parameters[0].Value = hid;
            _setText.Parameters[1].Value = value;
            _setText.Parameters[2].Value = (object?)deltaOf ?? DBNull.Value;
            _setText.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _insert.Dispose();
            _setText.Dispose();
            _selectText.Dispose();
            _clearHeads.Dispose();
            _clearOtherHeads.Dispose();
            _markHead.Dispose();
            _trimKey.Dispose();
            _dropOldest.Dispose();
            _selectBytes.Dispose();
            _setBytes.Dispose();
        }

        private static long SumOf(SqliteCommand command)
        {
            var sum = 0L;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                sum += reader.GetInt64(0);
            }

            return sum;
        }
    }
}
