namespace NoteSync.Shared.Protocol;

/// <summary>
/// The fields of a push, of its changes and of a history request that the strict readers know, as flags,
/// so each reader can see which it has met without allocating.
/// </summary>
[Flags]
internal enum PushFieldFlags
{
    None = 0,
    Type = 1,
    Changes = 2,
    LastAck = 4,
    RequestId = 8,
    Key = 16,
    Value = 32,
    Timestamp = 64,
    DeviceId = 128,
    Epoch = 256,
    Base = 512,
}
