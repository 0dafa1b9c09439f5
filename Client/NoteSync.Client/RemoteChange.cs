namespace NoteSync.Client;

/// <summary>A change to the local replica that came from the server.</summary>
/// <param name="Path">The note's path (the key without <c>note:</c>).</param>
/// <param name="Value">The winning content, or null when the note is deleted.</param>
/// <param name="Timestamp">The winning write's Lamport timestamp.</param>
/// <param name="DeviceId">The device that wrote the winner.</param>
/// <param name="IsConflict">True when the note is now in conflict (see <see cref="NoteSyncClient.GetConflicts"/>).</param>
public sealed record RemoteChange(string Path, string? Value, long Timestamp, string DeviceId, bool IsConflict);
