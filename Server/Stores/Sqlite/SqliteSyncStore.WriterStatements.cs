using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

internal sealed partial class SqliteSyncStore
{
    /// <summary>The writer's prepared statements, reused for every group.</summary>
    private sealed class WriterStatements : IDisposable
    {
        private readonly SqliteCommand _selectEntry;
        private readonly SqliteCommand _upsertEntry;
        private readonly SqliteCommand _selectClock;
        private readonly SqliteCommand _selectUsage;
        private readonly SqliteCommand _upsertSpace;

        public WriterStatements(SqliteConnection connection)
        {
            _selectEntry = Create(connection, "SELECT timestamp, device_id, value, others, replaced FROM entries WHERE space = $space AND key = $key", "$space", "$key");
            _upsertEntry = Create(
                connection,
                """
                INSERT INTO entries (space, key, seq, timestamp, device_id, value, others, replaced)
                VALUES ($space, $key, $seq, $timestamp, $device_id, $value, $others, $replaced)
                ON CONFLICT (space, key) DO UPDATE SET
                    seq = excluded.seq, timestamp = excluded.timestamp, device_id = excluded.device_id,
                    value = excluded.value, others = excluded.others, replaced = excluded.replaced
                """,
                "$space", "$key", "$seq", "$timestamp", "$device_id", "$value", "$others", "$replaced");
            _selectClock = Create(connection, "SELECT clock FROM spaces WHERE space = $space", "$space");
            _selectUsage = Create(connection, "SELECT notes, bytes FROM spaces WHERE space = $space", "$space");

            // The usage columns move by the push's change; a new space's row starts from nothing.
            _upsertSpace = Create(
                connection,
                """
                INSERT INTO spaces (space, clock, notes, bytes) VALUES ($space, $clock, $notes, $bytes)
                ON CONFLICT (space) DO UPDATE SET
                    clock = excluded.clock, notes = notes + excluded.notes, bytes = bytes + excluded.bytes
                """,
                "$space", "$clock", "$notes", "$bytes");
        }

        public EntryState? SelectEntry(SqliteTransaction transaction, string space, string key)
        {
            _selectEntry.Transaction = transaction;
            _selectEntry.Parameters[0].Value = space;
            _selectEntry.Parameters[1].Value = key;
            using var reader = _selectEntry.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            return WriteSetCodec.Read(reader, 0);
        }

        public void UpsertEntry(SqliteTransaction transaction, string space, StoredEntry entry)
        {
            var winner = entry.State.Winner;
            _upsertEntry.Transaction = transaction;
            _upsertEntry.Parameters[0].Value = space;
            _upsertEntry.Parameters[1].Value = entry.Key;
            _upsertEntry.Parameters[2].Value = entry.Seq;
            _upsertEntry.Parameters[3].Value = winner.Timestamp;
            _upsertEntry.Parameters[4].Value = winner.DeviceId;
            _upsertEntry.Parameters[5].Value = (object?)winner.Value ?? DBNull.Value;
            _upsertEntry.Parameters[6].Value = (object?)WriteSetCodec.Encode(entry.State) ?? DBNull.Value;
            _upsertEntry.Parameters[7].Value = (object?)WriteSetCodec.EncodeReplaced(entry.State) ?? DBNull.Value;
            _upsertEntry.ExecuteNonQuery();
        }

        public long SelectClock(SqliteTransaction transaction, string space)
        {
            _selectClock.Transaction = transaction;
            _selectClock.Parameters[0].Value = space;
            return _selectClock.ExecuteScalar() is long clock ? clock : 0;
        }

        /// <summary>The space's usage as committed, moved by what this group has done to it so far.</summary>
        public SpaceUsage SelectUsage(SqliteTransaction transaction, string space)
        {
            _selectUsage.Transaction = transaction;
            _selectUsage.Parameters[0].Value = space;
            using var reader = _selectUsage.ExecuteReader();
            return reader.Read() ? new SpaceUsage(reader.GetInt64(0), reader.GetInt64(1)) : default;
        }

        /// <summary>Sets the space's clock and moves its usage by <paramref name="change"/>.</summary>
        public void UpsertSpace(SqliteTransaction transaction, string space, long clock, SpaceUsage change)
        {
            _upsertSpace.Transaction = transaction;
            _upsertSpace.Parameters[0].Value = space;
            _upsertSpace.Parameters[1].Value = clock;
            _upsertSpace.Parameters[2].Value = change.Notes;
            _upsertSpace.Parameters[3].Value = change.Bytes;
            _upsertSpace.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _selectEntry.Dispose();
            _upsertEntry.Dispose();
            _selectClock.Dispose();
            _selectUsage.Dispose();
            _upsertSpace.Dispose();
        }

        /// <summary>A prepared command on <paramref name="connection"/> with the named parameters, in order.</summary>
        internal static SqliteCommand Create(SqliteConnection connection, string sql, params string[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return command;
        }
    }
}
