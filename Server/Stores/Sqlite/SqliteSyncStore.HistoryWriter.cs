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
    /// space's bytes, oldest non-head versions first. Runs after the push's entries and space row are written;
    /// <paramref name="before"/> holds each changed key's state before the push, with the texts of the heads it replaces.
    /// </summary>
    private void RecordHistory(SqliteTransaction transaction, string space, List<TakenVersion> taken, Dictionary<string, StoredEntry> changed, StoredEntry[] entries, Dictionary<string, EntryState?> before)
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
            _historyWriter.MarkHeads(transaction, space, entry, before[entry.Key], newest.TryGetValue(entry.Key, out var target) ? target : null);
            bytes -= _historyWriter.TrimKey(transaction, space, entry.Key, _history.VersionsPerNote, cutoff);
        }

        while (bytes > _history.MaxBytesPerSpace && _historyWriter.DropOldest(transaction, space) is { } cost)
        {
            bytes -= cost;
        }

        _historyWriter.SetBytes(transaction, space, bytes);
    }

    /// <summary>The writer's prepared statements on <c>history</c> (marking heads: SqliteSyncStore.HistoryHeads.cs).</summary>
    private sealed partial class HistoryStatements : IDisposable
    {
        // What a deleted version cost (NoteVersionRecord.CostOf): CAST AS BLOB gives a text's UTF-8 bytes.
        private const string Cost = "bytes + length(CAST(device_id AS BLOB))";

        private readonly SqliteCommand _insert;
        private readonly HeadStatements _heads;
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
                INSERT INTO history (space, key, timestamp, device_id, value, base, committed_at, bytes, head, delta_of)
                VALUES ($space, $key, $timestamp, $device_id, $value, $base, $committed_at, $bytes, $head, $delta_of)
                ON CONFLICT DO NOTHING
                RETURNING hid
                """,
                "$space", "$key", "$timestamp", "$device_id", "$value", "$base", "$committed_at", "$bytes", "$head", "$delta_of");

            _heads = new HeadStatements(connection);

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
            // A head's text is its entry's (HistoryText.InEntry): stored here once it stops being a head.
            var inEntry = head && write.Value is not null;
            _insert.Parameters[4].Value = inEntry ? "" : (object?)write.Value ?? DBNull.Value;
            _insert.Parameters[5].Value = (object?)VersionListCodec.Encode(@base) ?? DBNull.Value;
            _insert.Parameters[6].Value = committedAt;
            _insert.Parameters[7].Value = bytes;
            _insert.Parameters[8].Value = head ? 1 : 0;
            _insert.Parameters[9].Value = inEntry ? HistoryText.InEntry : DBNull.Value;
            using var reader = _insert.ExecuteReader();
            return reader.Read() ? (NoteVersionRecord.CostOf(bytes, write.DeviceId), reader.GetInt64(0)) : (0, null);
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

        public void Dispose()
        {
            _insert.Dispose();
            _heads.Dispose();
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
