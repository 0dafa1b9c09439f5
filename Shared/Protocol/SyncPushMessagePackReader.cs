using System.Buffers;
using System.Text;
using MessagePack;
using Fields = NoteSync.Shared.Protocol.PushFieldFlags;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// Reads a push from MessagePack (the argument of the hub's <c>Push</c> in the SignalR MessagePack
/// protocol) with the rules and texts of <see cref="SyncPushReader"/>: a map with the same string
/// keys, every missing or ill-typed field and every duplicated known field refused by name, unknown
/// keys ignored. <c>type</c> may be absent or nil, as on the hub's JSON protocol. A string field is
/// a <c>str</c> of valid UTF-8; integers are any of MessagePack's integer formats, never a float.
/// </summary>
public static partial class SyncPushMessagePackReader
{
    // Invalid UTF-8 (an encoded lone surrogate too) would otherwise be replaced silently on the way to disk.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the value <paramref name="reader"/> stands on, and only it. On success returns the push and a
    /// null error; otherwise the first problem and whatever <c>request_id</c> could be read. Nil is not a
    /// push: the caller decides what an absent argument means. MessagePack that ends early throws.
    /// </summary>
    public static SyncPush? Read(ref MessagePackReader reader, out ProtocolError? error, out string? requestId)
    {
        error = null;
        requestId = null;
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            Skip(ref reader);
            error = ProtocolError.BadRequest(PushReadErrors.PushMustBeAnObject);
            return null;
        }

        var push = new SyncPush { Type = null };
        var seen = Fields.None;
        var count = reader.ReadMapHeader();
        for (var n = 0; n < count; n++)
        {
            var field = ReadFieldName(ref reader, out var name);
            if ((field & PushFields) == 0)
            {
                Skip(ref reader);
                continue;
            }

            if ((seen & field) != 0)
            {
                Fail(ref error, PushReadErrors.DuplicateField(name!));
                Skip(ref reader);
                continue;
            }

            seen |= field;
            switch (field)
            {
                case Fields.Type when reader.NextMessagePackType == MessagePackType.String:
                    push.Type = ReadText(ref reader, PushReadErrors.NotUnicode("type"), ref error) ?? "";
                    break;
                case Fields.Type when reader.TryReadNil():
                    break;
                case Fields.Type:
                    Fail(ref error, PushReadErrors.TypeMustBeAString);
                    Skip(ref reader);
                    break;
                case Fields.RequestId when reader.NextMessagePackType == MessagePackType.String:
                    requestId = push.RequestId = ReadText(ref reader, PushReadErrors.NotUnicode("request_id"), ref error);
                    break;
                case Fields.RequestId when reader.TryReadNil():
                    break;
                case Fields.RequestId:
                    Fail(ref error, PushReadErrors.RequestIdMustBeAString);
                    Skip(ref reader);
                    break;
                case Fields.Epoch when reader.NextMessagePackType == MessagePackType.String:
                    push.Epoch = ReadText(ref reader, PushReadErrors.NotUnicode("epoch"), ref error);
                    break;
                case Fields.Epoch when reader.TryReadNil():
                    break;
                case Fields.Epoch:
                    Fail(ref error, PushReadErrors.EpochMustBeAString);
                    Skip(ref reader);
                    break;
                case Fields.LastAck when reader.TryReadNil():
                    break;
                case Fields.LastAck:
                    if (ReadInteger(ref reader, min: 0) is { } lastAck)
                    {
                        push.LastAck = lastAck;
                    }
                    else
                    {
                        Fail(ref error, PushReadErrors.LastAckOutOfRange);
                    }

                    break;
                case Fields.Changes:
                    ReadChanges(ref reader, push.Changes, ref error);
                    break;
            }
        }

        if (push.Type is not null && push.Type != FrameTypes.SyncPush)
        {
            Fail(ref error, PushReadErrors.UnknownType(push.Type));
        }

        if ((seen & Fields.Changes) == 0)
        {
            Fail(ref error, PushReadErrors.ChangesRequired);
        }

        return error is null ? push : null;
    }

    private static void ReadChanges(ref MessagePackReader reader, List<Change> changes, ref ProtocolError? error)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            Fail(ref error, PushReadErrors.ChangesMustBeAnArray);
            Skip(ref reader);
            return;
        }

        var count = reader.ReadArrayHeader();
        for (var index = 0; index < count; index++)
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                Fail(ref error, PushReadErrors.ChangeMustBeAnObject(index));
                Skip(ref reader);
            }
            else if (ReadChange(ref reader, index, ref error) is var change && error is null)
            {
                // A refused push is dropped whole: collecting the rest would only let a hostile one
                // (a million empty maps, one byte each) cost memory.
                changes.Add(change);
            }
        }
    }

    private static Change ReadChange(ref MessagePackReader reader, int index, ref ProtocolError? error)
    {
        var change = new Change();
        var seen = Fields.None;
        var count = reader.ReadMapHeader();
        for (var n = 0; n < count; n++)
        {
            var field = ReadFieldName(ref reader, out var name);
            if ((field & ChangeFields) == 0)
            {
                Skip(ref reader);
                continue;
            }

            if ((seen & field) != 0)
            {
                Fail(ref error, PushReadErrors.ChangeDuplicateField(index, name!));
                Skip(ref reader);
                continue;
            }

            seen |= field;
            switch (field)
            {
                case Fields.Key when reader.NextMessagePackType == MessagePackType.String:
                    change.Key = ReadText(ref reader, PushReadErrors.ChangeFieldNotUnicode(index, "key"), ref error) ?? "";
                    break;
                case Fields.Key:
                    Fail(ref error, PushReadErrors.FieldMustBeAString(index, "key"));
                    Skip(ref reader);
                    break;
                case Fields.Value when reader.TryReadNil():
                    break;
                case Fields.Value when reader.NextMessagePackType == MessagePackType.String:
                    change.Value = ReadText(ref reader, PushReadErrors.ChangeFieldNotUnicode(index, "value"), ref error);
                    break;
                case Fields.Value:
                    Fail(ref error, PushReadErrors.ValueMustBeAStringOrNull(index));
                    Skip(ref reader);
                    break;
                case Fields.Timestamp:
                    if (ReadInteger(ref reader, min: 1) is { } timestamp)
                    {
                        change.Timestamp = timestamp;
                    }
                    else
                    {
                        Fail(ref error, PushReadErrors.TimestampOutOfRange(index));
                    }

                    break;
                case Fields.DeviceId when reader.NextMessagePackType == MessagePackType.String:
                    change.DeviceId = ReadText(ref reader, PushReadErrors.ChangeFieldNotUnicode(index, "device_id"), ref error);
                    break;
                case Fields.DeviceId when reader.TryReadNil():
                    break;
                case Fields.DeviceId:
                    Fail(ref error, PushReadErrors.FieldMustBeAString(index, "device_id"));
                    Skip(ref reader);
                    break;
                case Fields.Base when reader.TryReadNil():
                    break;
                case Fields.Base when reader.NextMessagePackType == MessagePackType.Array:
                    change.Base = ReadBase(ref reader, index, ref error);
                    break;
                case Fields.Base:
                    Fail(ref error, PushReadErrors.BaseMustBeAnArray(index));
                    Skip(ref reader);
                    break;
            }
        }

        // The point of reading strictly: a change without value is a client's bug, not a delete.
        if (PushReadErrors.MissingChangeField(index, (seen & Fields.Key) != 0, (seen & Fields.Value) != 0, (seen & Fields.Timestamp) != 0) is { } missing)
        {
            Fail(ref error, missing);
        }

        return change;
    }

    // Consumes the key. A key that is not a str (MessagePack allows any type) is unknown, as an
    // unknown name is. The name is given only for known fields, for a duplicate's message.
    private static Fields ReadFieldName(ref MessagePackReader reader, out string? name)
    {
        name = null;
        if (reader.NextMessagePackType != MessagePackType.String)
        {
            Skip(ref reader);
            return Fields.None;
        }

        var bytes = reader.ReadStringSequence()!.Value;
        Span<byte> small = stackalloc byte[16];
        if (bytes.Length > small.Length)
        {
            return Fields.None;
        }

        bytes.CopyTo(small);
        var key = small[..(int)bytes.Length];
        var field = key.SequenceEqual("type"u8) ? Fields.Type
            : key.SequenceEqual("changes"u8) ? Fields.Changes
            : key.SequenceEqual("last_ack"u8) ? Fields.LastAck
            : key.SequenceEqual("request_id"u8) ? Fields.RequestId
            : key.SequenceEqual("epoch"u8) ? Fields.Epoch
            : key.SequenceEqual("key"u8) ? Fields.Key
            : key.SequenceEqual("value"u8) ? Fields.Value
            : key.SequenceEqual("timestamp"u8) ? Fields.Timestamp
            : key.SequenceEqual("device_id"u8) ? Fields.DeviceId
            : key.SequenceEqual("base"u8) ? Fields.Base
            : Fields.None;
        if (field != Fields.None)
        {
            name = Encoding.ASCII.GetString(key);
        }

        return field;
    }

    // Consumes one str; null (and the error recorded) when it is not valid UTF-8.
    private static string? ReadText(ref MessagePackReader reader, string notUnicode, ref ProtocolError? error)
    {
        var bytes = reader.ReadStringSequence()!.Value;
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            Fail(ref error, notUnicode);
            return null;
        }
    }

    // Consumes one value: the integer when it is one in min..2^53-1, else null.
    private static long? ReadInteger(ref MessagePackReader reader, long min)
    {
        if (reader.NextMessagePackType != MessagePackType.Integer)
        {
            Skip(ref reader);
            return null;
        }

        long value;
        if (reader.NextCode == MessagePackCode.UInt64)
        {
            var unsigned = reader.ReadUInt64();
            value = unsigned > ProtocolLimits.MaxTimestamp ? -1 : (long)unsigned;
        }
        else
        {
            value = reader.ReadInt64();
        }

        return value >= min && value <= ProtocolLimits.MaxTimestamp ? value : null;
    }

    // Iterative, unlike MessagePackReader.Skip, which recurses once per level: a few megabytes of
    // nested one-element arrays would otherwise overflow the stack and take the server down.
    private static void Skip(ref MessagePackReader reader)
    {
        long pending = 1;
        while (pending > 0)
        {
            pending--;
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    pending += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    pending += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    // The first problem is the one reported: later ones are often consequences of it.
    private static void Fail(ref ProtocolError? error, string message) => error ??= ProtocolError.BadRequest(message);

    private const Fields PushFields = Fields.Type | Fields.Changes | Fields.LastAck | Fields.RequestId | Fields.Epoch;

    private const Fields ChangeFields = Fields.Key | Fields.Value | Fields.Timestamp | Fields.DeviceId | Fields.Base;
}
