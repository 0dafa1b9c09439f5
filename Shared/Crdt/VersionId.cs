namespace NoteSync.Shared.Crdt;

/// <summary>
/// Names one version of a note in a write's <c>base</c> (docs/protocol.md §2.2): its timestamp and its
/// device. A device ticks its clock before every write, so the pair names one write of that device.
/// </summary>
/// <param name="Timestamp">The named write's timestamp.</param>
/// <param name="DeviceId">The named write's device.</param>
public readonly record struct VersionId(long Timestamp, string DeviceId)
{
    /// <summary>The id of <paramref name="write"/>.</summary>
    public static VersionId Of(in Write write) => new(write.Timestamp, write.DeviceId);
}
