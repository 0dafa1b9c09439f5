namespace NoteSync.Server.Sync;

/// <summary>A live push for connections at cursor <paramref name="After"/>, bringing them to <paramref name="Cursor"/>.</summary>
internal sealed record LiveFrame(long After, long Cursor, bool More, OutboundFrame Frame)
{
    /// <summary>About what its changes weigh on the wire (<see cref="Stores.StoredEntry.EstimatedWireBytes"/>), charged to the space per device it is sent to.</summary>
    public long Bytes { get; init; }
}
