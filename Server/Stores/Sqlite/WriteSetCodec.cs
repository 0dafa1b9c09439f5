using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The columns that hold the rest of a key's state beside the winner:
/// <list type="bullet">
/// <item><c>others</c>: the heads besides the winner, best first, a JSON array of
/// <c>[device_id, value]</c> (value null for a tombstone), with the head's timestamp as a third item
/// when it differs from the row's (edits that did not see each other):
/// <c>[["dev2","text"],["dev1",null,17]]</c>. NULL when the winner is the only head.</item>
/// <item><c>replaced</c> (schema 4): what the heads replaced (<see cref="ReplacedVersions"/>),
/// <c>{"floor":F,"named":[["dev",t],...]}</c>. NULL for the state writes without <c>base</c> leave,
/// everything below the row's timestamp replaced and nothing named, so rows written before schema 4
/// read as they always did.</item>
/// </list>
/// Readers ignore items they do not know, so a later version may append fields.
/// </summary>
internal static class WriteSetCodec
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Storage, never HTML: keep non-ASCII text as it is rather than \u-escaping it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The <c>others</c> column value for <paramref name="state"/>: null when the winner is the only head.</summary>
    public static string? Encode(EntryState state)
    {
        if (state.Writes.Length == 1)
        {
            return null;
        }

        return Json(writer =>
        {
            var writes = state.Writes;
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

                if (writes[i].Timestamp != writes[0].Timestamp)
                {
                    writer.WriteNumberValue(writes[i].Timestamp);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        });
    }

    /// <summary>The <c>replaced</c> column value for <paramref name="state"/>: null when it is what writes without base leave.</summary>
    public static string? EncodeReplaced(EntryState state)
    {
        var replaced = state.Replaced;
        if (replaced.Floor == state.Timestamp && replaced.Named.IsEmpty)
        {
            return null;
        }

        return Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("floor", replaced.Floor);
            writer.WriteStartArray("named");
            foreach (var named in replaced.Named)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(named.DeviceId);
                writer.WriteNumberValue(named.Timestamp);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>Rebuilds the state of a row from its columns timestamp, device_id, value, others and replaced, from <paramref name="first"/> on.</summary>
    public static EntryState Read(Microsoft.Data.Sqlite.SqliteDataReader reader, int first) => Decode(
        reader.GetInt64(first),
        reader.GetString(first + 1),
        reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2),
        reader.IsDBNull(first + 3) ? null : reader.GetString(first + 3),
        reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4));

    /// <summary>Rebuilds the state of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static EntryState Decode(long timestamp, string deviceId, string? value, string? others, string? replaced)
    {
        var winner = new Write(timestamp, deviceId, value);
        if (others is null && replaced is null)
        {
            return EntryState.Of(winner);
        }

        var heads = new List<Write> { winner };
        if (others is not null)
        {
            using var document = JsonDocument.Parse(others);
            foreach (var item in document.RootElement.EnumerateArray())
            {
                var other = item[1];
                var at = item.GetArrayLength() > 2 ? item[2].GetInt64() : timestamp;
                heads.Add(new Write(at, item[0].GetString()!, other.ValueKind == JsonValueKind.Null ? null : other.GetString()));
            }
        }

        return replaced is null
            ? EntryState.OfWrites(heads)
            : EntryState.OfHeads(heads, DecodeReplaced(replaced));
    }

    private static ReplacedVersions DecodeReplaced(string replaced)
    {
        using var document = JsonDocument.Parse(replaced);
        var root = document.RootElement;
        var named = new List<VersionId>();
        foreach (var item in root.GetProperty("named").EnumerateArray())
        {
            named.Add(new VersionId(item[1].GetInt64(), item[0].GetString()!));
        }

        return ReplacedVersions.Of(root.GetProperty("floor").GetInt64(), named);
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
