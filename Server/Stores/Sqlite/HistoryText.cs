using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// A history row's text: its value when it is kept whole, else its delta applied to the text of the
/// later version it names (<c>delta_of</c>, itself whole or a delta: SqliteSchema). Run inside one
/// transaction, so retention cannot drop a later version half way.
/// </summary>
internal static class HistoryText
{
    /// <summary>The text of a row whose value is <paramref name="value"/> and whose <c>delta_of</c> is <paramref name="deltaOf"/>.</summary>
    public static string Resolve(SqliteConnection connection, SqliteTransaction transaction, string value, long? deltaOf)
    {
        if (deltaOf is not { } next)
        {
            return value;
        }

        var deltas = new Stack<string>();
        deltas.Push(value);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value, delta_of FROM history WHERE hid = $hid";
        var hid = command.Parameters.Add(new SqliteParameter { ParameterName = "$hid" });
        while (true)
        {
            hid.Value = next;
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                throw new InvalidOperationException($"history row {next}, which a delta is made against, is missing or has no text");
            }

            var text = reader.GetString(0);
            if (reader.IsDBNull(1))
            {
                while (deltas.Count > 0)
                {
                    text = LineDelta.Apply(text, deltas.Pop());
                }

                return text;
            }

            deltas.Push(text);
            next = reader.GetInt64(1);
        }
    }
}
