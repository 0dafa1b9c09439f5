namespace NoteSync.Shared.Protocol;

/// <summary>The <c>type</c> values of the frames.</summary>
public static class FrameTypes
{
    /// <summary>Client to server: writes and a pull.</summary>
    public const string SyncPush = "sync_push";

    /// <summary>Server to client: an answer or a live push.</summary>
    public const string SyncAck = "sync_ack";

    /// <summary>Server to client: a refused frame.</summary>
    public const string Error = "error";

    /// <summary>A note's versions (docs/protocol.md §4.13).</summary>
    public const string History = "history";

    /// <summary>One version of a note with its text (docs/protocol.md §4.13).</summary>
    public const string Version = "version";

    /// <summary>The deleted notes of the space (docs/protocol.md §4.13).</summary>
    public const string Trash = "trash";

    /// <summary>A merge suggestion for a note in conflict (docs/protocol.md §4.13).</summary>
    public const string Merge = "merge";
}
