using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

// History reads, on pooled read connections beside the writer (the table: SqliteSchema; kept by
// SqliteSyncStore.HistoryWriter.cs).
internal sealed partial class SqliteSyncStore
{
    // Of history h joined with its device's name d.
    private const string VersionColumns = "h.timestamp, d.name, h.committed_at, h.bytes, h.base, h.value IS NULL, h.head";
    private const string VersionsOf = "history h JOIN history_names d ON d.id = h.did";

    // A key's versions, newest first, at most $limit.
    private const string KeyVersionsSql = $"SELECT {VersionColumns} FROM {VersionsOf} WHERE h.nid = {SqliteSchema.NoteIdSql} ORDER BY h.hid DESC LIMIT $limit";

    /// <inheritdoc />
    public async Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryAsync(string space, string key, int maxVersions, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckHistory(space, key, maxVersions);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        return await ReadKeyHistoryAsync(
            space,
            key,
            KeyVersionsSql,
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
        var found = ReadVersionText(connection, transaction, space, key, timestamp, deviceId);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return found;
    }

    // The version with its text, in transaction (a reader's snapshot, or the writer's own).
    private static NoteVersionText? ReadVersionText(SqliteConnection connection, SqliteTransaction transaction, string space, string key, long timestamp, string deviceId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;

        // At most one row: the writer takes a version of a note once.
        command.CommandText = $"SELECT {VersionColumns}, h.value, h.delta_of, h.nid FROM {VersionsOf} WHERE h.nid = {SqliteSchema.NoteIdSql} AND h.timestamp = $timestamp AND d.name = $device_id";
        command.Parameters.AddWithValue("$space", space);
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$timestamp", timestamp);
        command.Parameters.AddWithValue("$device_id", deviceId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var version = ReadVersion(reader);
        return new NoteVersionText(version, reader.IsDBNull(7) ? null : HistoryText.Resolve(connection, transaction, space, key, reader.GetInt64(9), timestamp, deviceId, reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetInt64(8)));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrashedNote>> ReadTrashAsync(string space, int maxNotes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckTrash(space, maxNotes);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);

        // One snapshot for the notes and their last texts. Deferred, so the writer is never waited for.
        await using var transaction = connection.BeginTransaction(deferred: true);

        var deleted = new List<(string Key, long DeletedAt, string DeletedBy, long Timestamp, long Nid)>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = SqliteSchema.TrashSql;
            command.Parameters.AddWithValue("$space", space);
            command.Parameters.AddWithValue("$limit", maxNotes);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                deleted.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        var trash = new List<TrashedNote>(deleted.Count);
        await using (var lastText = connection.CreateCommand())
        {
            lastText.Transaction = transaction;
            lastText.CommandText = $"SELECT h.timestamp, d.name, h.value, h.delta_of FROM {VersionsOf} WHERE h.nid = $nid AND h.value IS NOT NULL ORDER BY h.hid DESC LIMIT 1";
            var nidParameter = lastText.Parameters.Add(new SqliteParameter { ParameterName = "$nid" });
            foreach (var (key, deletedAt, deletedBy, timestamp, nid) in deleted)
            {
                nidParameter.Value = nid;
                await using var reader = await lastText.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                Write? text = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? new Write(reader.GetInt64(0), reader.GetString(1), HistoryText.Resolve(connection, transaction, space, key, nid, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)))
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
        Base: VersionListCodec.Decode(reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(1)),
        IsDelete: reader.GetInt64(5) != 0,
        IsHead: reader.GetInt64(6) != 0);
}
