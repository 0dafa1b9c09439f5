namespace NoteSync.Client;

/// <summary>One write of a note: its content (null for a delete), Lamport timestamp and device.</summary>
/// <param name="Value">The content, or null for a delete.</param>
/// <param name="Timestamp">The writer's Lamport timestamp.</param>
/// <param name="DeviceId">The writer.</param>
public sealed record NoteVersion(string? Value, long Timestamp, string DeviceId)
{
    /// <summary>The version's name, for a write's base (<see cref="NoteSyncClient.GetHeads"/>).</summary>
    public NoteVersionId Id => new(Timestamp, DeviceId);
}
