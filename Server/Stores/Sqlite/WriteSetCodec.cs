using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The <c>others</c> column: the writes of W besides the winner, when W holds more than one. All of
/// W shares the row's timestamp, so each write is just <c>[device_id, value]</c> (value null for a
/// tombstone), and the column is a JSON array of them, best first:
/// <c>[["dev2","text"],["dev1",null]]</c>. Readers ignore any items after the second in each inner
/// array, so a later version may append fields. The column is NULL when W is the winner alone.
/// </summary>
internal static class WriteSetCodec
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Storage, never HTML: keep non-ASCII text as it is rather than \u-escaping it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The column value for <paramref name="state"/>: null when W holds the winner alone.</summary>
    public static string? Encode(EntryState state)
    {
        var writes = state.Writes;
        if (writes.Length == 1)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            for (var i = 1; i < writes.Length; i++)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(writes[i].DeviceId);
                if (writes[i].Value is { } value)
                {
                    writer.WriteStringValue(value);
                }
                else
                {
                    writer.WriteNullValue();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Rebuilds the state of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static EntryState Decode(long timestamp, string deviceId, string? value, string? others)
    {
        var winner = new Write(timestamp, deviceId, value);
        if (others is null)
        {
            return EntryState.Of(winner);
        }

        var writes = new List<Write> { winner };
        using var document = JsonDocument.Parse(others);
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var other = item[1];
            writes.Add(new Write(timestamp, item[0].GetString()!, other.ValueKind == JsonValueKind.Null ? null : other.GetString()));
        }

        return EntryState.OfWrites(writes);
    }
}
