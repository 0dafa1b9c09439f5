using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// A history row's text (SqliteSchema): its value when it is kept whole; its entry's copy while it is a
/// head (<see cref="InEntry"/>, value empty), so a head's text is stored once; else its delta applied to
/// the text of the later version it names in <c>delta_of</c>, itself any of the three. Run inside one
/// transaction, so no commit changes the rows half way.
/// </summary>
internal static class HistoryText
{
    /// <summary>The <c>delta_of</c> of a head whose text is its entry's (no row has hid 0).</summary>
    public const long InEntry = 0;

    /// <summary>
    /// The text of the version (<paramref name="timestamp"/>, <paramref name="deviceId"/>) of <paramref name="key"/>
    /// (note <paramref name="nid"/>), whose row holds <paramref name="value"/> and <paramref name="deltaOf"/>.
    /// </summary>
    public static string Resolve(SqliteConnection connection, SqliteTransaction transaction, string space, string key, long nid, long timestamp, string deviceId, string value, long? deltaOf)
    {
        var deltas = new Stack<string>();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT h.value, h.delta_of, h.timestamp, d.name FROM history h JOIN history_names d ON d.id = h.did WHERE h.nid = $nid AND h.hid = $hid";
        command.Parameters.AddWithValue("$nid", nid);
        var hid = command.Parameters.Add(new SqliteParameter { ParameterName = "$hid" });
        while (deltaOf is { } next && next != InEntry)
        {
            deltas.Push(value);
            hid.Value = next;
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                throw new InvalidOperationException($"history row {next}, which a delta of '{key}' is made against, is missing or has no text");
            }

            value = reader.GetString(0);
            deltaOf = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            timestamp = reader.GetInt64(2);
            deviceId = reader.GetString(3);
        }

        var text = deltaOf == InEntry ? EntryText(connection, transaction, space, key, timestamp, deviceId) : value;
        while (deltas.Count > 0)
        {
            text = LineDelta.Apply(text, deltas.Pop());
        }

        return text;
    }

    // A head's text, from the heads its entry holds.
    private static string EntryText(SqliteConnection connection, SqliteTransaction transaction, string space, string key, long timestamp, string deviceId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT timestamp, device_id, value, others, replaced FROM entries WHERE space = $space AND key = $key";
        command.Parameters.AddWithValue("$space", space);
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        if (reader.Read() && WriteSetCodec.Read(reader, 0).HeadOf(new VersionId(timestamp, deviceId))?.Value is { } text)
        {
            return text;
        }

        throw new InvalidOperationException($"the text of version ({timestamp}, {deviceId}) of '{key}' is kept in its entry, which no longer holds it");
    }
}
