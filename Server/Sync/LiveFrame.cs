namespace NoteSync.Server.Sync;

/// <summary>A live push for connections at cursor <paramref name="After"/>, bringing them to <paramref name="Cursor"/>.</summary>
internal sealed record LiveFrame(long After, long Cursor, bool More, OutboundFrame Frame);
