using System.Text.Json;
using Fields = NoteSync.Shared.Protocol.PushFieldFlags;

namespace NoteSync.Shared.Protocol;

// A change's base (docs/protocol.md §2.2) as the JSON reader reads it: a list of {timestamp, device_id}.
public static partial class SyncPushReader
{
    // From the array's StartArray to its EndArray. Past MaxBaseVersions items the rest is only walked:
    // the push is refused, and holding thousands of names first would only cost memory.
    private static List<VersionRef> ReadBase(ref Utf8JsonReader reader, int index, ref ProtocolError? error)
    {
        var versions = new List<VersionRef>();
        var item = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (item == ProtocolLimits.MaxBaseVersions)
            {
                Fail(ref error, PushReadErrors.BaseTooLong(index));
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Fail(ref error, PushReadErrors.BaseItemMustBeAnObject(index, item));
                reader.Skip();
            }
            else if (ReadVersion(ref reader, index, item, ref error) is { } version && item < ProtocolLimits.MaxBaseVersions)
            {
                versions.Add(version);
            }

            item++;
        }

        return versions;
    }

    private static VersionRef? ReadVersion(ref Utf8JsonReader reader, int index, int item, ref ProtocolError? error)
    {
        var version = new VersionRef();
        var seen = Fields.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("timestamp"u8) ? Fields.Timestamp
                : reader.ValueTextEquals("device_id"u8) ? Fields.DeviceId
                : Fields.None;
            var name = field == Fields.None ? null : reader.GetString();
            reader.Read();
            if (field == Fields.None || (seen & field) != 0)
            {
                if (field != Fields.None)
                {
                    Fail(ref error, PushReadErrors.BaseItemDuplicateField(index, item, name!));
                }

                reader.Skip();
                continue;
            }

            seen |= field;
            switch (field)
            {
                case Fields.Timestamp when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ts) && ts is >= 1 and <= ProtocolLimits.MaxTimestamp:
                    version.Timestamp = ts;
                    break;
                case Fields.Timestamp:
                    Fail(ref error, PushReadErrors.BaseTimestampOutOfRange(index, item));
                    reader.Skip();
                    break;
                case Fields.DeviceId when reader.TokenType == JsonTokenType.String:
                    try
                    {
                        version.DeviceId = reader.GetString()!;
                    }
                    catch (InvalidOperationException)
                    {
                        Fail(ref error, PushReadErrors.BaseDeviceIdNotUnicode(index, item));
                    }

                    break;
                case Fields.DeviceId:
                    Fail(ref error, PushReadErrors.BaseDeviceIdMustBeAString(index, item));
                    reader.Skip();
                    break;
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
