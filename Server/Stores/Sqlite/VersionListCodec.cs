using System.Text.Encodings.Web;
using System.Text.Json;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The <c>base</c> column of <c>history</c>: the versions a write was edited from, a JSON array of
/// <c>[device_id, timestamp]</c> as <see cref="WriteSetCodec"/> writes named versions (<c>[]</c> for a note
/// created from nothing); NULL for a write without base.
/// </summary>
internal static class VersionListCodec
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Storage, never HTML: keep non-ASCII device ids as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The column value of <paramref name="base"/>.</summary>
    public static string? Encode(VersionId[]? @base)
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
                writer.WriteStartArray();
                writer.WriteStringValue(id.DeviceId);
                writer.WriteNumberValue(id.Timestamp);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The versions a column value names; null for NULL.</summary>
    public static VersionId[]? Decode(string? column)
    {
        if (column is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(column);
        return [.. document.RootElement.EnumerateArray().Select(item => new VersionId(item[1].GetInt64(), item[0].GetString()!))];
    }
}
