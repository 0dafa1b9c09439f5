using System.Text.Encodings.Web;
using System.Text.Json;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The <c>base</c> column of <c>history</c>: the versions a write was edited from, a JSON array (<c>[]</c>
/// for a note created from nothing; NULL for a write without base). A version by the row's own device is
/// its bare timestamp, another device's is <c>[device_id, timestamp]</c> as <see cref="WriteSetCodec"/>
/// writes named versions: most edits are made from the same device's last version, so most bases are a
/// number or two. Schema 7 wrote every version in the second form, which still reads the same.
/// </summary>
internal static class VersionListCodec
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Storage, never HTML: keep non-ASCII device ids as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The column value of <paramref name="base"/>, in a row of <paramref name="ownDevice"/>'s version.</summary>
    public static string? Encode(VersionId[]? @base, string ownDevice)
    {
        if (@base is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var id in @base)
            {
                if (string.Equals(id.DeviceId, ownDevice, StringComparison.Ordinal))
                {
                    writer.WriteNumberValue(id.Timestamp);
                    continue;
                }

                writer.WriteStartArray();
                writer.WriteStringValue(id.DeviceId);
                writer.WriteNumberValue(id.Timestamp);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The versions a column value of <paramref name="ownDevice"/>'s row names; null for NULL.</summary>
    public static VersionId[]? Decode(string? column, string ownDevice)
    {
        if (column is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(column);
        return [.. document.RootElement.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Number
            ? new VersionId(item.GetInt64(), ownDevice)
            : new VersionId(item[1].GetInt64(), item[0].GetString()!))];
    }
}
