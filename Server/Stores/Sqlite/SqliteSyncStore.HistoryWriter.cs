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
        var sid = _historyWriter.Ids.NameId(transaction, space);

        // Per key, its note's id and the last head with text this push inserted: the newest version of
        // the note, which the versions it replaced are kept as deltas against.
        var notes = new Dictionary<string, long>(StringComparer.Ordinal);
        var newest = new Dictionary<string, (long Hid, string Text)>(StringComparer.Ordinal);
        foreach (var version in taken)
        {
            if (!notes.TryGetValue(version.Key, out var nid))
            {
                nid = notes[version.Key] = _historyWriter.Ids.NoteId(transaction, sid, version.Key);
            }

            // A version inserted as the head it is, so marking heads rewrites no row and no index entry.
            var isHead = changed[version.Key].State.Writes.Contains(version.Write);
            var (cost, hid) = _historyWriter.Insert(transaction, sid, nid, version, isHead, _groupCommittedAt);
            bytes += cost;
            if (hid is { } inserted && isHead && version.Write.Value is { } text)
            {
                newest[version.Key] = (inserted, text);
            }
        }

        var cutoff = _groupCommittedAt - _history.MaxAgeMs;
        foreach (var entry in entries)
        {
            // A key this push took no version of has history only if an earlier push took one.
            var nid = notes.TryGetValue(entry.Key, out var takenNote) ? takenNote : _historyWriter.Ids.FindNoteId(transaction, sid, entry.Key);
            if (nid is not { } note)
            {
                continue;
            }

            _historyWriter.MarkHeads(transaction, note, entry, before[entry.Key], newest.TryGetValue(entry.Key, out var target) ? target : null);
            bytes -= _historyWriter.TrimKey(transaction, note, _history.VersionsPerNote, cutoff);
        }

        while (bytes > _history.MaxBytesPerSpace && _historyWriter.DropOldest(transaction, sid) is { } cost)
        {
            bytes -= cost;
        }

        _historyWriter.SetBytes(transaction, space, bytes);
    }

    /// <summary>The writer's prepared statements on <c>history</c> (marking heads: SqliteSyncStore.HistoryHeads.cs).</summary>
    private sealed partial class HistoryStatements : IDisposable
    {
        // What a deleted version cost (NoteVersionRecord.CostOf): CAST AS BLOB gives a text's UTF-8 bytes.
        private const string Cost = "bytes + (SELECT length(CAST(name AS BLOB)) FROM history_names WHERE id = did)";

        private readonly SqliteCommand _insert;
        private readonly HeadStatements _heads;
        private readonly SqliteCommand _trimKey;
        private readonly SqliteCommand _selectOldest;
        private readonly SqliteCommand _delete;
        private readonly SqliteCommand _selectBytes;
        private readonly SqliteCommand _setBytes;

        // The greatest hid taken, so the next version's is greater (commit order).
        private long _lastHid;

        public HistoryStatements(SqliteConnection connection)
        {
            Ids = new HistoryIds(connection);

            // One scan at start: hids and commit times go on from the latest ones (CommitGroup).
            using (var latest = connection.CreateCommand())
            {
                latest.CommandText = "SELECT coalesce(max(hid), 0), coalesce(max(committed_at), 0) FROM history";
                using var reader = latest.ExecuteReader();
                reader.Read();
                _lastHid = reader.GetInt64(0);
                LatestCommittedAt = reader.GetInt64(1);
            }

            // A version already held (a write that was a head before, re-taken with a base that changed
            // what is replaced) is not taken twice; found among its note's rows.
            _insert = WriterStatements.Create(
                connection,
                """
                INSERT INTO history (nid, hid, sid, timestamp, did, value, base, committed_at, bytes, head, delta_of)
                SELECT $nid, $hid, $sid, $timestamp, $did, $value, $base, $committed_at, $bytes, $head, $delta_of
                WHERE NOT EXISTS (SELECT 1 FROM history WHERE nid = $nid AND timestamp = $timestamp AND did = $did)
                """,
                "$nid", "$hid", "$sid", "$timestamp", "$did", "$value", "$base", "$committed_at", "$bytes", "$head", "$delta_of");

            _heads = new HeadStatements(connection);

            // Non-heads committed before the cutoff, or past the note's newest $keep versions (heads counted
            // among them). Both are a prefix of the note's versions in hid order (commit times never go back:
            // CommitGroup), so a delta's later version never goes before it.
            _trimKey = WriterStatements.Create(
                connection,
                $"""
                DELETE FROM history
                WHERE nid = $nid AND head = 0 AND (committed_at <= $cutoff OR hid <= coalesce(
                    (SELECT hid FROM history WHERE nid = $nid ORDER BY hid DESC LIMIT 1 OFFSET $keep), 0))
                RETURNING {Cost}
                """,
                "$nid", "$cutoff", "$keep");
            _selectOldest = WriterStatements.Create(connection, SqliteSchema.OldestNonHeadSql, "$sid");
            _delete = WriterStatements.Create(connection, $"DELETE FROM history WHERE nid = $nid AND hid = $hid RETURNING {Cost}", "$nid", "$hid");
            _selectBytes = WriterStatements.Create(connection, "SELECT history_bytes FROM spaces WHERE space = $space", "$space");
            _setBytes = WriterStatements.Create(connection, "UPDATE spaces SET history_bytes = $bytes WHERE space = $space", "$space", "$bytes");
        }

        /// <summary>The ids of spaces, devices and notes in history.</summary>
        public HistoryIds Ids { get; }

        /// <summary>The latest commit time in history when the store opened, Unix ms; 0 for none.</summary>
        public long LatestCommittedAt { get; }

        /// <summary>Inserts a version, a head or not; returns its cost and row, or 0 and null when history held it already.</summary>
        public (long Cost, long? Hid) Insert(SqliteTransaction transaction, long sid, long nid, TakenVersion version, bool head, long committedAt)
        {
            var (_, write, @base) = version;
            var did = Ids.NameId(transaction, write.DeviceId);
            var hid = _lastHid + 1;
            var bytes = write.Value is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(write.Value);

            // A head's text is its entry's (HistoryText.InEntry): stored here once it stops being a head.
            var inEntry = head && write.Value is not null;
            _insert.Transaction = transaction;
            _insert.Parameters[0].Value = nid;
            _insert.Parameters[1].Value = hid;
            _insert.Parameters[2].Value = sid;
            _insert.Parameters[3].Value = write.Timestamp;
            _insert.Parameters[4].Value = did;
            _insert.Parameters[5].Value = inEntry ? "" : (object?)write.Value ?? DBNull.Value;
            _insert.Parameters[6].Value = (object?)VersionListCodec.Encode(@base, write.DeviceId) ?? DBNull.Value;
            _insert.Parameters[7].Value = committedAt;
            _insert.Parameters[8].Value = bytes;
            _insert.Parameters[9].Value = head ? 1 : 0;
            _insert.Parameters[10].Value = inEntry ? HistoryText.InEntry : DBNull.Value;
            if (_insert.ExecuteNonQuery() == 0)
            {
                return (0, null);
            }

            _lastHid = hid;
            return (NoteVersionRecord.CostOf(bytes, write.DeviceId), hid);
        }

        /// <summary>Drops the note's versions that count and age leave out; returns what they cost.</summary>
        public long TrimKey(SqliteTransaction transaction, long nid, int keep, long cutoff)
        {
            _trimKey.Transaction = transaction;
            _trimKey.Parameters[0].Value = nid;
            _trimKey.Parameters[1].Value = cutoff;
            _trimKey.Parameters[2].Value = keep;
            var sum = 0L;
            using var reader = _trimKey.ExecuteReader();
            while (reader.Read())
            {
                sum += reader.GetInt64(0);
            }

            return sum;
        }

        /// <summary>Drops the space's oldest non-head version; returns its cost, or null when there is none.</summary>
        public long? DropOldest(SqliteTransaction transaction, long sid)
        {
            _selectOldest.Transaction = transaction;
            _selectOldest.Parameters[0].Value = sid;
            long nid, hid;
            using (var reader = _selectOldest.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                (nid, hid) = (reader.GetInt64(0), reader.GetInt64(1));
            }

            _delete.Transaction = transaction;
            _delete.Parameters[0].Value = nid;
            _delete.Parameters[1].Value = hid;
            return _delete.ExecuteScalar() is long cost ? cost : 0;
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
            Ids.Dispose();
            _insert.Dispose();
            _heads.Dispose();
            _trimKey.Dispose();
            _selectOldest.Dispose();
            _delete.Dispose();
            _selectBytes.Dispose();
            _setBytes.Dispose();
        }
    }
}
