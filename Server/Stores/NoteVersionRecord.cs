using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>
/// One version of a note as its history holds it, without its text: a write a store took as a head
/// (docs/protocol.md §2), and when and by whom. Listed by <see cref="ISyncStore.ReadHistoryAsync"/>.
/// </summary>
/// <param name="Timestamp">The write's Lamport timestamp; with <paramref name="DeviceId"/> it names the version.</param>
/// <param name="DeviceId">The device that wrote it.</param>
/// <param name="CommittedAt">
/// The server's wall-clock time of the commit that took it, in Unix milliseconds. Shown to people only;
/// it never takes part in merging.
/// </param>
/// <param name="Bytes">The UTF-8 bytes of its text (0 for a delete).</param>
/// <param name="Base">The versions it was edited from, or null for a write without <c>base</c>.</param>
/// <param name="IsDelete">Whether it is a delete (a tombstone).</param>
/// <param name="IsHead">Whether it is one of the note's current heads (the winner or a sibling).</param>
internal sealed record NoteVersionRecord(
    long Timestamp,
    string DeviceId,
    long CommittedAt,
    long Bytes,
    VersionId[]? Base,
    bool IsDelete,
    bool IsHead)
{
    /// <summary>The version's id, as a base names it.</summary>
    public VersionId Id => new(Timestamp, DeviceId);

    /// <summary>What the version costs against <c>NoteSync:History:MaxBytesPerSpace</c>: its text's and its device id's UTF-8 bytes.</summary>
    public static long CostOf(long valueBytes, string deviceId) => valueBytes + System.Text.Encoding.UTF8.GetByteCount(deviceId);
}
