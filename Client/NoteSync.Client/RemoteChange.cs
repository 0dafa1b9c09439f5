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
    /// This device's newest write to the note that the change beat before the server had it: a write still
    /// in the outbox, or one acknowledged by the very answer that brought this change (the server already
    /// held a newer write from a device that could not have seen this one). Its content is no longer in the
    /// replica; null when no write of this device lost.
    /// </summary>
    public NoteVersion? LostLocalWrite { get; init; }
}
