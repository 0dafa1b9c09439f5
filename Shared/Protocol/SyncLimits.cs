using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// The server's limits on what a device sends (docs/protocol.md §4.4, "The server's limits"), carried by the
/// optional <c>limits</c> field of a <c>sync_ack</c>, so a client can size its pushes to be taken
/// instead of learning them from refusals.
/// </summary>
[MessagePackObject]
public sealed class SyncLimits
{
    /// <summary>The largest incoming message in bytes (a WebSocket frame, a hub message, an HTTP body).</summary>
    [Key("max_message_bytes")]
    public long MaxMessageBytes { get; set; }

    /// <summary>The most changes one push may carry.</summary>
    [Key("max_changes_per_push")]
    public long MaxChangesPerPush { get; set; }

    /// <summary>The longest key in UTF-8 bytes, <c>note:</c> included.</summary>
    [Key("max_key_bytes")]
    public long MaxKeyBytes { get; set; }

    /// <summary>The largest note value in UTF-8 bytes.</summary>
    [Key("max_value_bytes")]
    public long MaxValueBytes { get; set; }

    /// <summary>The most bytes a note's writes at its top timestamp may hold together.</summary>
    [Key("max_note_bytes")]
    public long MaxNoteBytes { get; set; }
}
