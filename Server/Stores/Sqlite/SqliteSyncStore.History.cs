using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

// History reads, on pooled read connections beside the writer (the table: SqliteSchema; kept by
// SqliteSyncStore.HistoryWriter.cs).
internal sealed partial class SqliteSyncStore
{
    private const string VersionColumns = "timestamp, device_id, committed_at, bytes, base, value IS NULL, head";

    /// <inheritdoc />
    public async Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryAsync(string space, string key, int maxVersions, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckHistory(space, key, maxVersions);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        return await ReadKeyHistoryAsync(
            space,
            key,
            $"SELECT {VersionColumns} FROM history WHERE space = $space AND key = $key ORDER BY hid DESC LIMIT $limit",
            [("$limit", maxVersions)],
            ReadVersion,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<NoteVersionText?> ReadVersionAsync(string space, string key, long timestamp, string deviceId, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckHistory(space, key, 1);
        ArgumentNullException.ThrowIfNull(deviceId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);

        // One snapshot for the row and the later versions its delta is made against. Deferred, so the
        // writer is never waited for.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;

        // At most one row: history_version is unique on (space, key, timestamp, device_id).
        command.CommandText = $"SELECT {VersionColumns}, value, delta_of FROM history WHERE space = $space AND key = $key AND timestamp = $timestamp AND device_id = $device_id";
        command.Parameters.AddWithValue("$space", space);
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$timestamp", timestamp);
        command.Parameters.AddWithValue("$device_id", deviceId);
        NoteVersionText? found = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var version = ReadVersion(reader);
                found = new NoteVersionText(version, reader.IsDBNull(7) ? null : HistoryText.Resolve(connection, transaction, space, key, timestamp, deviceId, reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetInt64(8)));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrashedNote>> ReadTrashAsync(string space, int maxNotes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckTrash(space, maxNotes);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);

        // One snapshot for the notes and their last texts. Deferred, so the writer is never waited for.
        await using var transaction = connection.BeginTransaction(deferred: true);

        // A head delete that is its entry's winner (a delete beside a sibling with a greater timestamp is
        // not in the trash); history_trash walks the space's head deletes, newest first.
        var deleted = new List<(string Key, long DeletedAt, string DeletedBy, long Timestamp)>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                SELECT h.key, h.committed_at, h.device_id, h.timestamp
                FROM history h JOIN entries e ON e.space = h.space AND e.key = h.key
                WHERE h.space = $space AND h.head = 1 AND h.value IS NULL
                    AND e.value IS NULL AND e.timestamp = h.timestamp AND e.device_id = h.device_id
                ORDER BY h.hid DESC LIMIT $limit
                """;
            command.Parameters.AddWithValue("$space", space);
            command.Parameters.AddWithValue("$limit", maxNotes);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                deleted.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3)));
            }
        }

        var trash = new List<TrashedNote>(deleted.Count);
        await using (var lastText = connection.CreateCommand())
        {
            lastText.Transaction = transaction;
            lastText.CommandText = "SELECT timestamp, device_id, value, delta_of FROM history WHERE space = $space AND key = $key AND value IS NOT NULL ORDER BY hid DESC LIMIT 1";
            lastText.Parameters.AddWithValue("$space", space);
            var keyParameter = lastText.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
            foreach (var (key, deletedAt, deletedBy, timestamp) in deleted)
            {
                keyParameter.Value = key;
                await using var reader = await lastText.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                Write? text = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? new Write(reader.GetInt64(0), reader.GetString(1), HistoryText.Resolve(connection, transaction, space, key, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)))
                    : null;
                trash.Add(new TrashedNote(key, deletedAt, deletedBy, timestamp, text));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return trash;
    }

    // The rows of one key's history that sql selects, on a pooled read connection: $space and $key are bound
    // here, the rest of the query's parameters by the caller.
    private async Task<List<T>> ReadKeyHistoryAsync<T>(
        string space,
        string key,
        string sql,
        (string Name, object Value)[] parameters,
        Func<SqliteDataReader, T> readRow,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$space", space);
        command.Parameters.AddWithValue("$key", key);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(readRow(reader));
        }

        return rows;
    }

    // Columns: VersionColumns.
    private static NoteVersionRecord ReadVersion(SqliteDataReader reader) => new(
        Timestamp: reader.GetInt64(0),
        DeviceId: reader.GetString(1),
        CommittedAt: reader.GetInt64(2),
        Bytes: reader.GetInt64(3),
        Base: VersionListCodec.Decode(reader.IsDBNull(4) ? null : reader.GetString(4)),
        IsDelete: reader.GetInt64(5) != 0,
        IsHead: reader.GetInt64(6) != 0);
}
