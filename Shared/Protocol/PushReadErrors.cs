namespace NoteSync.Shared.Protocol;

/// <summary>
/// The texts with which the strict push readers (<see cref="SyncPushReader"/> for JSON,
/// <see cref="SyncPushMessagePackReader"/> for the hub's MessagePack) refuse a push, kept in one place
/// so that a client sees the same words whatever transport or encoding it uses.
/// </summary>
public static class PushReadErrors
{
    /// <summary>A hub <c>Push</c> whose argument is not a map or object.</summary>
    public const string PushMustBeAnObject = "the push must be an object";

    public const string TypeRequired = "type is required";

    public const string TypeMustBeAString = "type must be a string";

    public const string RequestIdMustBeAString = "request_id must be a string";

    public const string EpochMustBeAString = "epoch must be a string";

    /// <summary>The first of a change's required fields (key, value, timestamp) that it lacks, or null.</summary>
    public static string? MissingChangeField(int index, bool hasKey, bool hasValue, bool hasTimestamp) =>
        !hasKey ? KeyRequired(index) : !hasValue ? ValueRequired(index) : !hasTimestamp ? TimestampRequired(index) : null;

    public const string LastAckOutOfRange = "last_ack must be an integer in 0..2^53-1";

    public const string ChangesRequired = "changes is required (an empty array for a pure pull)";

    public const string ChangesMustBeAnArray = "changes must be an array";

    public static string DuplicateField(string name) => $"duplicate field '{name}'";

    public static string UnknownType(string type) =>
        $"unknown type '{(type.Length <= 64 ? type : string.Concat(type.AsSpan(0, 64), "..."))}' (expected '{FrameTypes.SyncPush}')";

    /// <summary>A field of the push itself (<c>type</c>, <c>request_id</c>) holding an unpaired surrogate or invalid UTF-8.</summary>
    public static string NotUnicode(string field) => $"{field} must be valid Unicode text";

    public static string ChangeMustBeAnObject(int index) => $"changes[{index}] must be an object";

    public static string ChangeDuplicateField(int index, string name) => $"changes[{index}] has a duplicate field '{name}'";

    public static string KeyRequired(int index) => $"changes[{index}].key is required";

    public static string ValueRequired(int index) => $"changes[{index}].value is required (null for a delete)";

    public static string TimestampRequired(int index) => $"changes[{index}].timestamp is required";

    /// <summary>For <c>key</c> and <c>device_id</c>.</summary>
    public static string FieldMustBeAString(int index, string field) => $"changes[{index}].{field} must be a string";

    public static string ValueMustBeAStringOrNull(int index) => $"changes[{index}].value must be a string or null";

    public static string TimestampOutOfRange(int index) => $"changes[{index}].timestamp must be an integer in 1..2^53-1";

    public static string ChangeFieldNotUnicode(int index, string field) => $"changes[{index}].{field} must be valid Unicode text";

    public static string BaseMustBeAnArray(int index) => $"changes[{index}].base must be an array of versions, or null";

    public static string BaseItemMustBeAnObject(int index, int item) => $"changes[{index}].base[{item}] must be an object";

    public static string BaseItemDuplicateField(int index, int item, string name) => $"changes[{index}].base[{item}] has a duplicate field '{name}'";

    public static string BaseTimestampOutOfRange(int index, int item) => $"changes[{index}].base[{item}].timestamp must be an integer in 1..2^53-1";

    public static string BaseDeviceIdMustBeAString(int index, int item) => $"changes[{index}].base[{item}].device_id must be a string";

    public static string BaseDeviceIdNotUnicode(int index, int item) => $"changes[{index}].base[{item}].device_id must be valid Unicode text";

    /// <summary>The first of a base item's fields (timestamp, device_id) that it lacks, or null.</summary>
    public static string? MissingBaseField(int index, int item, bool hasTimestamp, bool hasDeviceId) =>
        !hasTimestamp ? $"changes[{index}].base[{item}].timestamp is required"
        : !hasDeviceId ? $"changes[{index}].base[{item}].device_id is required"
        : null;

    public static string BaseTooLong(int index) => $"changes[{index}].base names more than {ProtocolLimits.MaxBaseVersions} versions";
}
