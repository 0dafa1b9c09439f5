using System.Text.Json;
using Fields = NoteSync.Shared.Protocol.PushFieldFlags;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// Reads a <c>sync_push</c> frame strictly from UTF-8 JSON. Every missing or ill-typed field and every
/// duplicated known field is refused with a message that names it; unknown fields are ignored, so
/// newer clients may add fields. The <c>request_id</c> is recovered whenever the JSON itself is well
/// formed, so even a refused push gets an error that echoes it. The hub's JSON protocol reads its
/// <c>Push</c> argument with the same rules (<see cref="ReadValue"/>).
/// </summary>
public static partial class SyncPushReader
{
    /// <summary>Deeper nesting than a push ever needs is refused rather than walked.</summary>
    public const int MaxDepth = 16;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>
    /// Parses <paramref name="utf8"/>. On success returns the push and a null error; otherwise the
    /// error and whatever <c>request_id</c> could be read.
    /// </summary>
    public static SyncPush? Read(ReadOnlySpan<byte> utf8, out ProtocolError? error, out string? requestId)
    {
        error = null;
        requestId = null;
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = ProtocolError.BadRequest("frame must be a JSON object");
                return null;
            }

            var push = ReadObject(ref reader, typeRequired: true, ref error, ref requestId);

            // Anything after the object (a second document, trailing garbage) makes the frame invalid JSON.
            if (reader.Read())
            {
                throw new JsonException("unexpected data after the JSON object");
            }

            return error is null ? push : null;
        }
        catch (JsonException ex)
        {
            error = ProtocolError.BadRequest($"frame is not valid JSON: {Describe(ex)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader reports invalid UTF-8 inside a string this way.
            error = ProtocolError.BadRequest("frame is not valid UTF-8 JSON");
            return null;
        }
    }

    /// <summary>
    /// Reads the push that <paramref name="reader"/> stands on, as a host's serializer hands it over
    /// (the argument of the hub's <c>Push</c> in the SignalR JSON protocol), and leaves the reader on its
    /// last token. The same rules as <see cref="Read"/>, but for the frame as a whole, which is the
    /// host's to check: <c>type</c> may be absent or null, and a value that is not an object is
    /// <see cref="PushReadErrors.PushMustBeAnObject"/>. JSON the host's reader refuses throws.
    /// </summary>
    public static SyncPush? ReadValue(ref Utf8JsonReader reader, out ProtocolError? error, out string? requestId)
    {
        error = null;
        requestId = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            error = ProtocolError.BadRequest(PushReadErrors.PushMustBeAnObject);
            return null;
        }

        var push = ReadObject(ref reader, typeRequired: false, ref error, ref requestId);
        return error is null ? push : null;
    }

    // Reads from the object's StartObject to its EndObject; every problem is recorded and reading goes
    // on, so that request_id is recovered wherever it stands.
    private static SyncPush ReadObject(ref Utf8JsonReader reader, bool typeRequired, ref ProtocolError? error, ref string? requestId)
    {
        var push = new SyncPush { Type = null };
        var seen = Fields.None;
        var changesSeen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("type"u8) ? Fields.Type
                : reader.ValueTextEquals("changes"u8) ? Fields.Changes
                : reader.ValueTextEquals("last_ack"u8) ? Fields.LastAck
                : reader.ValueTextEquals("request_id"u8) ? Fields.RequestId
                : reader.ValueTextEquals("epoch"u8) ? Fields.Epoch
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
                Fail(ref error, PushReadErrors.DuplicateField(name!));
                reader.Skip();
                continue;
            }

            seen |= field;
            switch (field)
            {
                case Fields.Type:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        push.Type = ReadString(ref reader, -1, "type", ref error) ?? "";
                    }
                    else if (typeRequired || reader.TokenType != JsonTokenType.Null)
                    {
                        Fail(ref error, PushReadErrors.TypeMustBeAString);
                        reader.Skip();
                    }

                    break;
                case Fields.RequestId:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        requestId = push.RequestId = ReadString(ref reader, -1, "request_id", ref error);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        Fail(ref error, PushReadErrors.RequestIdMustBeAString);
                        reader.Skip();
                    }

                    break;
                case Fields.Epoch:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        push.Epoch = ReadString(ref reader, -1, "epoch", ref error);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        Fail(ref error, PushReadErrors.EpochMustBeAString);
                        reader.Skip();
                    }

                    break;
                case Fields.LastAck:
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var lastAck) && lastAck is >= 0 and <= ProtocolLimits.MaxTimestamp)
                    {
                        push.LastAck = lastAck;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        Fail(ref error, PushReadErrors.LastAckOutOfRange);
                        reader.Skip();
                    }

                    break;
                case Fields.Changes:
                    changesSeen = true;
                    ReadChanges(ref reader, push.Changes, ref error);
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("unexpected token");
        }

        if (push.Type is null && (seen & Fields.Type) == 0)
        {
            if (typeRequired)
            {
                Fail(ref error, PushReadErrors.TypeRequired);
            }
        }
        else if (push.Type is not null && push.Type != FrameTypes.SyncPush)
        {
            Fail(ref error, PushReadErrors.UnknownType(push.Type));
        }

        if (!changesSeen)
        {
            Fail(ref error, PushReadErrors.ChangesRequired);
        }

        return push;
    }

    private static void ReadChanges(ref Utf8JsonReader reader, List<Change> changes, ref ProtocolError? error)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            Fail(ref error, PushReadErrors.ChangesMustBeAnArray);
            reader.Skip();
            return;
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Fail(ref error, PushReadErrors.ChangeMustBeAnObject(index));
                reader.Skip();
            }
            else if (ReadChange(ref reader, index, ref error) is var change && error is null)
            {
                // A refused push is dropped whole: collecting the rest would only cost memory.
                changes.Add(change);
            }

            index++;
        }
    }

    private static Change ReadChange(ref Utf8JsonReader reader, int index, ref ProtocolError? error)
    {
        var change = new Change();
        var seen = Fields.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("key"u8) ? Fields.Key
                : reader.ValueTextEquals("value"u8) ? Fields.Value
                : reader.ValueTextEquals("timestamp"u8) ? Fields.Timestamp
                : reader.ValueTextEquals("device_id"u8) ? Fields.DeviceId
                : reader.ValueTextEquals("base"u8) ? Fields.Base
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
                Fail(ref error, PushReadErrors.ChangeDuplicateField(index, name!));
                reader.Skip();
                continue;
            }

            seen |= field;
            switch (field)
            {
                case Fields.Key when reader.TokenType == JsonTokenType.String:
                    change.Key = ReadString(ref reader, index, "key", ref error) ?? "";
                    break;
                case Fields.Key:
                    Fail(ref error, PushReadErrors.FieldMustBeAString(index, "key"));
                    break;
                case Fields.Value when reader.TokenType is JsonTokenType.Null:
                    break;
                case Fields.Value when reader.TokenType is JsonTokenType.String:
                    change.Value = ReadString(ref reader, index, "value", ref error);
                    break;
                case Fields.Value:
                    Fail(ref error, PushReadErrors.ValueMustBeAStringOrNull(index));
                    break;
                case Fields.Timestamp when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ts) && ts is >= 1 and <= ProtocolLimits.MaxTimestamp:
                    change.Timestamp = ts;
                    break;
                case Fields.Timestamp:
                    Fail(ref error, PushReadErrors.TimestampOutOfRange(index));
                    break;
                case Fields.DeviceId when reader.TokenType == JsonTokenType.String:
                    change.DeviceId = ReadString(ref reader, index, "device_id", ref error);
                    break;
                case Fields.DeviceId when reader.TokenType == JsonTokenType.Null:
                    break;
                case Fields.DeviceId:
                    Fail(ref error, PushReadErrors.FieldMustBeAString(index, "device_id"));
                    break;
                case Fields.Base when reader.TokenType == JsonTokenType.Null:
                    break;
                case Fields.Base when reader.TokenType == JsonTokenType.StartArray:
                    change.Base = ReadBase(ref reader, index, ref error);
                    break;
                case Fields.Base:
                    Fail(ref error, PushReadErrors.BaseMustBeAnArray(index));
                    break;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        // The point of reading strictly: a change without value is a client's bug, not a delete.
        if (PushReadErrors.MissingChangeField(index, (seen & Fields.Key) != 0, (seen & Fields.Value) != 0, (seen & Fields.Timestamp) != 0) is { } missing)
        {
            Fail(ref error, missing);
        }

        return change;
    }

    // A string holding a lone surrogate (a "\ud800" escape) or invalid UTF-8 is well-formed JSON that
    // GetString cannot turn into text: refuse the field by name and read on, so request_id is still recovered.
    // index < 0: a field of the push itself.
    private static string? ReadString(ref Utf8JsonReader reader, int index, string field, ref ProtocolError? error)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            Fail(ref error, index < 0 ? PushReadErrors.NotUnicode(field) : PushReadErrors.ChangeFieldNotUnicode(index, field));
            return null;
        }
    }

    // The first problem is the one reported: later ones are often consequences of it.
    private static void Fail(ref ProtocolError? error, string message) => error ??= ProtocolError.BadRequest(message);

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd(' ', '|', '.');
    }
}
