namespace NoteSync.Client;

/// <summary>A change to the local replica that came from the server.</summary>
/// <param name="Path">The note's path (the key without <c>note:</c>).</param>
/// <param name="Value">The winning content, or null when the note is deleted.</param>
/// <param name="Timestamp">The winning write's Lamport timestamp.</param>
/// <param name="DeviceId">The device that wrote the winner.</param>
/// <param name="IsConflict">True when the note is now in conflict (see <see cref="NoteSyncClient.GetConflicts"/>).</param>
public sealed record RemoteChange(string Path, string? Value, long Timestamp, string DeviceId, bool IsConflict)
{
    /// <summary>
    /// This device's newest write to the note that the change replaced without having seen it: a write still in
    /// the outbox, or one acknowledged by the very answer that brought this change. Only a write without
    /// <c>base</c> (a device of the original protocol) does that, by a higher timestamp; an edit with base that
    /// did not see this device's write leaves it as a sibling (<see cref="IsConflict"/>) instead. Its content is
    /// no longer in the replica; null when no write of this device was lost.
    /// </summary>
    public NoteVersion? LostLocalWrite { get; init; }
}
