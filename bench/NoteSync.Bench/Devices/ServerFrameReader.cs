using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NoteSync.Bench.Devices;

/// <summary>
/// Reads <c>sync_ack</c> and <c>error</c> frames (docs/protocol.md §4) in one forward pass with
/// <see cref="Utf8JsonReader"/>, in any property order, skipping fields the bench does not measure
/// (<c>conflicts</c>, <c>also</c>, <c>replaced</c>, anything added later).
/// </summary>
internal sealed class ServerFrameReader(string deviceId, string runKeyPrefix)
{
    private readonly byte[] _deviceId = Encoding.UTF8.GetBytes(deviceId);
    private readonly byte[] _runKeyPrefix = Encoding.UTF8.GetBytes(runKeyPrefix);

    // The device id of the server's automatic merges (docs/protocol.md §2.3).
    private static ReadOnlySpan<byte> MergeDevice => "notesync:merge"u8;

    /// <summary>Fills <paramref name="frame"/>; false when the frame is not a JSON object the bench understands.</summary>
    public bool TryRead(ReadOnlySpan<byte> utf8, ReceivedFrame frame)
    {
        frame.Clear();
        try
        {
            var reader = new Utf8JsonReader(utf8, isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    frame.Kind = reader.ValueTextEquals("sync_ack"u8) ? FrameKind.SyncAck
                        : reader.ValueTextEquals("error"u8) ? FrameKind.Error
                        : FrameKind.Other;
                }
                else if (reader.ValueTextEquals("ack_timestamp"u8))
                {
                    reader.Read();
                    frame.AckTimestamp = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ack) ? ack : null;
                }
                else if (reader.ValueTextEquals("request_id"u8))
                {
                    reader.Read();
                    frame.RequestId = ParseRequestId(ref reader);
                }
                else if (reader.ValueTextEquals("more"u8))
                {
                    reader.Read();
                    frame.More = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("changes"u8))
                {
                    reader.Read();
                    ReadChanges(ref reader, frame);
                }
                else if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    frame.ErrorCode = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    frame.ErrorMessage = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Skip();
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static long? ParseRequestId(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            return null;
        }

        var raw = reader.ValueSpan;
        return raw.Length > 1 && raw[0] == (byte)'r'
            && long.TryParse(raw[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    private void ReadChanges(ref Utf8JsonReader reader, ReceivedFrame frame)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            long writeIndex = -1, timestamp = 0;
            bool own = false, inRun = false, byMerge = false, conflict = false;
            string? text = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("key"u8))
                {
                    reader.Read();
                    inRun = reader.TokenType == JsonTokenType.String && StartsWith(ref reader, _runKeyPrefix);
                }
                else if (reader.ValueTextEquals("value"u8))
                {
                    reader.Read();
                    writeIndex = reader.TokenType != JsonTokenType.String ? -1
                        : reader.ValueIsEscaped ? ValuePayload.ParseMarker(Encoding.UTF8.GetBytes(reader.GetString()!))
                        : ValuePayload.ParseMarker(reader.ValueSpan);
                    if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0 && reader.ValueSpan[0] == ReceivedChange.TextMark)
                    {
                        text = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    timestamp = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t) ? t : 0;
                }
                else if (reader.ValueTextEquals("device_id"u8))
                {
                    reader.Read();
                    own = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(_deviceId);
                    byMerge = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(MergeDevice);
                }
                else if (reader.ValueTextEquals("conflict"u8))
                {
                    reader.Read();
                    conflict = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    reader.Skip();
                }
            }

            if (timestamp > frame.MaxChangeTimestamp)
            {
                frame.MaxChangeTimestamp = timestamp;
            }

            frame.Changes.Add(new ReceivedChange(writeIndex, timestamp, own, inRun) { Text = text, ByMerge = byMerge, Conflict = conflict });
        }
    }

    private static bool StartsWith(ref Utf8JsonReader reader, byte[] prefix) =>
        reader.ValueIsEscaped
            ? Encoding.UTF8.GetBytes(reader.GetString()!).AsSpan().StartsWith(prefix)
            : reader.ValueSpan.StartsWith(prefix);
}
