using System.Text.Json;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// One queued local write. <see cref="Base"/> is its base as stored (the wire's JSON), null for a write without
/// one (a forced timestamp, a write queued before causality), so every send carries the same.
/// </summary>
internal sealed record OutboxItem(long Id, string Key, string? Value, long Timestamp, string? Base = null)
{
    /// <summary>The change a push carries for this write.</summary>
    public Change ToChange(string deviceId) => new()
    {
        Key = Key,
        Value = Value,
        Timestamp = Timestamp,
        DeviceId = deviceId,
        Base = Base is null ? null : JsonSerializer.Deserialize(Base, NoteSyncJsonContext.Wire.ListVersionRef),
    };
}
