using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

// The small integers history names spaces, device ids and notes by (SqliteSchema): each name is stored
// once, not in every version's row and index entry.
internal sealed partial class SqliteSyncStore
{
    /// <summary>
    /// The writer's lookups of <c>history_names</c> and <c>history_notes</c>, adding what is missing. Nothing
    /// is cached: a rolled-back push takes its new ids with it, and a prepared lookup costs microseconds.
    /// </summary>
    private sealed class HistoryIds : IDisposable
    {
        private readonly SqliteCommand _selectName;
        private readonly SqliteCommand _insertName;
        private readonly SqliteCommand _selectNote;
        private readonly SqliteCommand _insertNote;

        public HistoryIds(SqliteConnection connection)
        {
            _selectName = WriterStatements.Create(connection, "SELECT id FROM history_names WHERE name = $name", "$name");
            _insertName = WriterStatements.Create(connection, "INSERT INTO history_names (name) VALUES ($name) RETURNING id", "$name");
            _selectNote = WriterStatements.Create(connection, "SELECT nid FROM history_notes WHERE sid = $sid AND key = $key", "$sid", "$key");
            _insertNote = WriterStatements.Create(connection, "INSERT INTO history_notes (sid, key) VALUES ($sid, $key) RETURNING nid", "$sid", "$key");
        }

        /// <summary>The id of a space's name or a device id, added when new.</summary>
        public long NameId(SqliteTransaction transaction, string name)
        {
            _selectName.Transaction = transaction;
            _selectName.Parameters[0].Value = name;
            if (_selectName.ExecuteScalar() is long id)
            {
                return id;
            }

            _insertName.Transaction = transaction;
            _insertName.Parameters[0].Value = name;
            return (long)_insertName.ExecuteScalar()!;
        }

        /// <summary>The id of the note <paramref name="key"/> of the space <paramref name="sid"/>, added when new.</summary>
        public long NoteId(SqliteTransaction transaction, long sid, string key)
        {
            if (FindNoteId(transaction, sid, key) is { } nid)
            {
                return nid;
            }

            _insertNote.Transaction = transaction;
            _insertNote.Parameters[0].Value = sid;
            _insertNote.Parameters[1].Value = key;
            return (long)_insertNote.ExecuteScalar()!;
        }

        /// <summary>The id of the note, or null when history has never held a version of it.</summary>
        public long? FindNoteId(SqliteTransaction transaction, long sid, string key)
        {
            _selectNote.Transaction = transaction;
            _selectNote.Parameters[0].Value = sid;
            _selectNote.Parameters[1].Value = key;
            return _selectNote.ExecuteScalar() is long nid ? nid : null;
        }

        public void Dispose()
        {
            _selectName.Dispose();
            _insertName.Dispose();
            _selectNote.Dispose();
            _insertNote.Dispose();
        }
    }
}
