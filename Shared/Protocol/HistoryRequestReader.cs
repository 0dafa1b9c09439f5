using System.Text.Json;
using Fields = NoteSync.Shared.Protocol.PushFieldFlags;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// Picks the history requests of docs/protocol.md §4.13 out of the raw WebSocket's frames, read as strictly as
/// a push: a missing, ill-typed or repeated field is refused by name, unknown fields are ignored. Every other
/// frame is left to <see cref="SyncPushReader"/>.
/// </summary>
public static class HistoryRequestReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = SyncPushReader.MaxDepth };

    /// <summary>
    /// True when <paramref name="utf8"/> is a JSON object whose top-level <c>type</c> is a history request;
    /// then <paramref name="request"/> holds what was read (its <c>request_id</c> at least), and
    /// <paramref name="error"/>, when not null, says why it is refused.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, out HistoryRequest? request, out ProtocolError? error)
    {
        request = null;
        error = null;

        // Every push names its type, most of them first: they are told apart without a second parse.
        if (utf8.StartsWith("{\"type\":\"sync_push\""u8) || utf8.IndexOf("\"type\""u8) < 0)
        {
            return false;
        }

        string? type = null, key = null, deviceId = null, requestId = null;
        long timestamp = 0;
        var seen = Fields.None;
        try
        {
            var reader = new Utf8JsonReader(utf8, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals("type"u8) ? Fields.Type
                    : reader.ValueTextEquals("key"u8) ? Fields.Key
                    : reader.ValueTextEquals("timestamp"u8) ? Fields.Timestamp
                    : reader.ValueTextEquals("device_id"u8) ? Fields.DeviceId
                    : reader.ValueTextEquals("request_id"u8) ? Fields.RequestId
                    : Fields.None;
                var name = field == Fields.None ? null : reader.GetString();
                reader.Read();
                if (field == Fields.None)
                {
                    reader.Skip();
                    continue;
                }

                if ((seen & field) != 0)
                {
                    error ??= ProtocolError.BadRequest(PushReadErrors.DuplicateField(name!));
                    reader.Skip();
                    continue;
                }

                seen |= field;
                switch (field)
                {
                    case Fields.Timestamp when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t) && t is >= 1 and <= ProtocolLimits.MaxTimestamp:
                        timestamp = t;
                        break;
                    case Fields.Timestamp:
                        error ??= ProtocolError.BadRequest("timestamp must be an integer in 1..2^53-1");
                        reader.Skip();
                        break;
                    case Fields.RequestId when reader.TokenType == JsonTokenType.Null:
                        break;
                    case Fields.Type when reader.TokenType == JsonTokenType.String:
                        type = reader.GetString();
                        break;
                    case Fields.Key when reader.TokenType == JsonTokenType.String:
                        key = reader.GetString();
                        break;
                    case Fields.DeviceId when reader.TokenType == JsonTokenType.String:
                        deviceId = reader.GetString();
                        break;
                    case Fields.RequestId when reader.TokenType == JsonTokenType.String:
                        requestId = reader.GetString();
                        break;
                    default:
                        error ??= ProtocolError.BadRequest($"{name} must be a string");
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not well-formed: the push reader says why, in its words.
            return false;
        }

        if (type is not (FrameTypes.History or FrameTypes.Version or FrameTypes.Trash or FrameTypes.Merge))
        {
            return false;
        }

        if (error is null && type != FrameTypes.Trash && key is null)
        {
            error = ProtocolError.BadRequest("key is required");
        }

        if (error is null && type == FrameTypes.Version && (timestamp == 0 || deviceId is null))
        {
            error = ProtocolError.BadRequest(timestamp == 0 ? "timestamp is required" : "device_id is required");
        }

        request = new HistoryRequest(type, key, timestamp, deviceId, requestId);
        return true;
    }
}
