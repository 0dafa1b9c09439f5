using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// Writes a <see cref="SyncAck"/> as UTF-8 JSON, byte for byte what <see cref="NoteSyncJsonContext.Wire"/>
/// writes, but in one pass into one buffer sized up front. An answer to a device that catches up can
/// hold thousands of notes; this path is compiled fully optimized on first use, instead of running the
/// first (and, on a quiet server, every) large answer through unoptimized tier-0 code.
/// </summary>
public static class SyncAckWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = NoteSyncJsonContext.Wire.Options.Encoder,
        SkipValidation = true,
    };

    /// <summary>The ack as UTF-8 JSON.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ReadOnlyMemory<byte> Write(SyncAck ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        var buffer = new ArrayBufferWriter<byte>(EstimateCapacity(ack));
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, ack.Type);
            json.WriteNumber("ack_timestamp"u8, ack.AckTimestamp);
            json.WriteStartArray("changes"u8);
            foreach (var change in ack.Changes)
            {
                WriteChange(json, change);
            }

            json.WriteEndArray();
            if (ack.RequestId is not null)
            {
                json.WriteString("request_id"u8, ack.RequestId);
            }

            if (ack.More)
            {
                json.WriteBoolean("more"u8, true);
            }

            if (ack.Epoch is not null)
            {
                json.WriteString("epoch"u8, ack.Epoch);
            }

            if (ack.Reset)
            {
                json.WriteBoolean("reset"u8, true);
            }

            if (ack.Limits is { } limits)
            {
                json.WriteStartObject("limits"u8);
                json.WriteNumber("max_message_bytes"u8, limits.MaxMessageBytes);
                json.WriteNumber("max_changes_per_push"u8, limits.MaxChangesPerPush);
                json.WriteNumber("max_key_bytes"u8, limits.MaxKeyBytes);
                json.WriteNumber("max_value_bytes"u8, limits.MaxValueBytes);
                json.WriteNumber("max_note_bytes"u8, limits.MaxNoteBytes);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteChange(Utf8JsonWriter json, Change change)
    {
        json.WriteStartObject();
        json.WriteString("key"u8, change.Key);
        json.WriteString("value"u8, change.Value);
        json.WriteNumber("timestamp"u8, change.Timestamp);
        if (change.DeviceId is not null)
        {
            json.WriteString("device_id"u8, change.DeviceId);
        }

        if (change.Conflict)
        {
            json.WriteBoolean("conflict"u8, true);
        }

        if (change.Conflicts is { } siblings)
        {
            json.WriteStartArray("conflicts"u8);
            foreach (var s in siblings)
            {
                json.WriteStartObject();
                json.WriteString("value"u8, s.Value);
                json.WriteNumber("timestamp"u8, s.Timestamp);
                json.WriteString("device_id"u8, s.DeviceId);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (change.Also is { } also)
        {
            json.WriteStartArray("also"u8);
            WriteVersions(json, also);
            json.WriteEndArray();
        }

        if (change.Replaced is { } replaced)
        {
            json.WriteStartObject("replaced"u8);
            json.WriteNumber("floor"u8, replaced.Floor);
            json.WriteStartArray("named"u8);
            WriteVersions(json, replaced.Named);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteVersions(Utf8JsonWriter json, List<VersionRef> versions)
    {
        foreach (var v in versions)
        {
            json.WriteStartObject();
            json.WriteNumber("timestamp"u8, v.Timestamp);
            json.WriteString("device_id"u8, v.DeviceId);
            json.WriteEndObject();
        }
    }

    // Plain text needs about its length in bytes plus the field names, siblings included. The writer
    // asks for room for its worst case before each string (3 bytes a char), so the buffer also has
    // that much to spare for the longest one: otherwise a note with large siblings regrows the buffer,
    // copying it, several times per frame. An underestimate only costs a regrowth.
    private static int EstimateCapacity(SyncAck ack)
    {
        long bytes = 256;
        long longest = 0;
        foreach (var c in ack.Changes)
        {
            var value = c.Value?.Length ?? 4;
            longest = Math.Max(longest, value);
            bytes += 96 + c.Key.Length + value + (c.DeviceId?.Length ?? 0);
            foreach (var s in c.Conflicts ?? [])
            {
                var sibling = s.Value?.Length ?? 4;
                longest = Math.Max(longest, sibling);
                bytes += 64 + sibling + s.DeviceId.Length;
            }

            bytes += 64 * ((c.Also?.Count ?? 0) + (c.Replaced?.Named.Count ?? 0));
        }

        return (int)Math.Min(bytes + (2 * longest), Array.MaxLength);
    }
}
