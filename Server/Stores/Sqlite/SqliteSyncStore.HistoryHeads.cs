using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

// Which of a key's versions are its heads, and where each version's text is kept: a head's in its
// entry (HistoryText.InEntry), a version that stops being one as a delta against the push's new head
// or whole (docs/architecture.md, History).
internal sealed partial class SqliteSyncStore
{
    private sealed partial class HistoryStatements
    {
        /// <summary>
        /// Marks exactly the entry's current heads as heads among its key's versions. A version that stops
        /// being one gets its text from <paramref name="before"/> (the key's state before the push) when its
        /// entry held it, kept as a delta against <paramref name="target"/> (the head this push inserted,
        /// later than every other row of the key) where that is smaller, else whole. A version marked a head
        /// again takes its text from its entry again: heads are never deltas, so retention, which never
        /// drops a head, never leaves a delta without the version it names.
        /// </summary>
        public void MarkHeads(SqliteTransaction transaction, long nid, StoredEntry entry, EntryState? before, (long Hid, string Text)? target) =>
            _heads.Mark(transaction, nid, entry, before, target);

        private sealed class HeadStatements : IDisposable
        {
            private readonly SqliteCommand _selectHeads;
            private readonly SqliteCommand _unmark;
            private readonly SqliteCommand _unmarkWithText;
            private readonly SqliteCommand _mark;

            public HeadStatements(SqliteConnection connection)
            {
                _selectHeads = WriterStatements.Create(
                    connection,
                    "SELECT h.hid, h.timestamp, d.name, h.value, h.delta_of FROM history h JOIN history_names d ON d.id = h.did WHERE h.nid = $nid AND h.head = 1",
                    "$nid");
                _unmark = WriterStatements.Create(connection, "UPDATE history SET head = 0 WHERE nid = $nid AND hid = $hid", "$nid", "$hid");
                _unmarkWithText = WriterStatements.Create(
                    connection,
                    "UPDATE history SET head = 0, value = $value, delta_of = $delta_of WHERE nid = $nid AND hid = $hid",
                    "$nid", "$hid", "$value", "$delta_of");

                // Rows already heads are left alone: an update that changes nothing still rewrites the row
                // and moves it in and out of the partial indexes on head.
                _mark = WriterStatements.Create(
                    connection,
                    $"""
                    UPDATE history SET head = 1,
                        value = CASE WHEN value IS NULL THEN NULL ELSE '' END,
                        delta_of = CASE WHEN value IS NULL THEN NULL ELSE {HistoryText.InEntry} END
                    WHERE nid = $nid AND timestamp = $timestamp AND head = 0
                        AND did = (SELECT id FROM history_names WHERE name = $device_id)
                    """,
                    "$nid", "$timestamp", "$device_id");
            }

            public void Mark(SqliteTransaction transaction, long nid, StoredEntry entry, EntryState? before, (long Hid, string Text)? target)
            {
                var held = new List<(long Hid, long Timestamp, string DeviceId, string? Value, long? DeltaOf)>();
                _selectHeads.Transaction = transaction;
                _selectHeads.Parameters[0].Value = nid;
                using (var reader = _selectHeads.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        held.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt64(4)));
                    }
                }

                foreach (var row in held)
                {
                    var id = new VersionId(row.Timestamp, row.DeviceId);
                    if (entry.State.HeadOf(id) is null)
                    {
                        Unmark(transaction, nid, row.Hid, row.Value is null ? null : row.DeltaOf == HistoryText.InEntry ? before?.HeadOf(id)?.Value : row.Value, row.DeltaOf == HistoryText.InEntry, target);
                    }
                }

                _mark.Transaction = transaction;
                _mark.Parameters[0].Value = nid;
                foreach (var head in entry.State.Writes)
                {
                    if (!held.Exists(r => r.Timestamp == head.Timestamp && r.DeviceId == head.DeviceId))
                    {
                        _mark.Parameters[1].Value = head.Timestamp;
                        _mark.Parameters[2].Value = head.DeviceId;
                        _mark.ExecuteNonQuery();
                    }
                }
            }

            public void Dispose()
            {
                _selectHeads.Dispose();
                _unmark.Dispose();
                _unmarkWithText.Dispose();
                _mark.Dispose();
            }

            // A version that stops being a head: its text (null for a delete, or one its entry no longer
            // has) goes into its row, as a delta where that is smaller; a row that holds its text already
            // is rewritten only for a delta.
            private void Unmark(SqliteTransaction transaction, long nid, long hid, string? text, bool textInEntry, (long Hid, string Text)? target)
            {
                var delta = text is not null && target is { } newer && hid < newer.Hid ? LineDelta.Encode(newer.Text, text) : null;
                if (delta is null && !(textInEntry && text is not null))
                {
                    _unmark.Transaction = transaction;
                    _unmark.Parameters[0].Value = nid;
                    _unmark.Parameters[1].Value = hid;
                    _unmark.ExecuteNonQuery();
                    return;
                }

                _unmarkWithText.Transaction = transaction;
                _unmarkWithText.Parameters[0].Value = nid;
                _unmarkWithText.Parameters[1].Value = hid;
                _unmarkWithText.Parameters[2].Value = delta ?? text;
                _unmarkWithText.Parameters[3].Value = delta is null ? DBNull.Value : target!.Value.Hid;
                _unmarkWithText.ExecuteNonQuery();
            }
        }
    }
}
