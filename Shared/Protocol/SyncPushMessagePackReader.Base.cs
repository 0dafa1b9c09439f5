using MessagePack;
using Fields = NoteSync.Shared.Protocol.PushFieldFlags;

namespace NoteSync.Shared.Protocol;

// A change's base (docs/protocol.md §2.2) as the MessagePack reader reads it: a list of {timestamp, device_id}.
public static partial class SyncPushMessagePackReader
{
    // Past MaxBaseVersions items the rest is only walked: the push is refused, and holding thousands of
    // names first would only cost memory.
    private static List<VersionRef> ReadBase(ref MessagePackReader reader, int index, ref ProtocolError? error)
    {
        var count = reader.ReadArrayHeader();
        var versions = new List<VersionRef>(Math.Min(count, ProtocolLimits.MaxBaseVersions));
        if (count > ProtocolLimits.MaxBaseVersions)
        {
            Fail(ref error, PushReadErrors.BaseTooLong(index));
        }

        for (var item = 0; item < count; item++)
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                Fail(ref error, PushReadErrors.BaseItemMustBeAnObject(index, item));
                Skip(ref reader);
            }
            else if (ReadVersion(ref reader, index, item, ref error) is { } version && item < ProtocolLimits.MaxBaseVersions)
            {
                versions.Add(version);
            }
        }

        return versions;
    }

    private static VersionRef? ReadVersion(ref MessagePackReader reader, int index, int item, ref ProtocolError? error)
    {
        var version = new VersionRef();
        var seen = Fields.None;
        var count = reader.ReadMapHeader();
        for (var n = 0; n < count; n++)
        {
            var field = ReadFieldName(ref reader, out var name) & (Fields.Timestamp | Fields.DeviceId);
            if (field == Fields.None || (seen & field) != 0)
            {
                if (field != Fields.None)
                {
                    Fail(ref error, PushReadErrors.BaseItemDuplicateField(index, item, name!));
                }

                Skip(ref reader);
                continue;
            }

            seen |= field;
            if (field == Fields.Timestamp)
            {
                if (ReadInteger(ref reader, min: 1) is { } timestamp)
                {
                    version.Timestamp = timestamp;
                }
                else
                {
                    Fail(ref error, PushReadErrors.BaseTimestampOutOfRange(index, item));
                }
            }
            else if (reader.NextMessagePackType == MessagePackType.String)
            {
                version.DeviceId = ReadText(ref reader, PushReadErrors.BaseDeviceIdNotUnicode(index, item), ref error) ?? "";
            }
            else
            {
                Fail(ref error, PushReadErrors.BaseDeviceIdMustBeAString(index, item));
                Skip(ref reader);
            }
        }

        if (PushReadErrors.MissingBaseField(index, item, (seen & Fields.Timestamp) != 0, (seen & Fields.DeviceId) != 0) is { } missing)
        {
            Fail(ref error, missing);
            return null;
        }

        return version;
    }
}
