namespace NoteSync.Bench.Devices;

/// <summary>The kinds of server frame the bench tells apart.</summary>
internal enum FrameKind
{
    Other,
    SyncAck,
    Error,
}

/// <summary>
/// One change of a received <c>sync_ack</c>, reduced to what the bench measures. <see cref="Text"/> is only
/// read for text notes (values starting with <see cref="TextMark"/>), so fan-out values cost no string.
/// </summary>
internal readonly record struct ReceivedChange(long WriteIndex, long Timestamp, bool Own, bool InRun)
{
    /// <summary>The first character of every text note's value; fan-out values start with <c>#</c>.</summary>
    public const byte TextMark = (byte)'@';

    /// <summary>The value of a text note, or null.</summary>
    public string? Text { get; init; }

    /// <summary>The change is the server's automatic merge (device <c>notesync:merge</c>, docs/protocol.md §2.3).</summary>
    public bool ByMerge { get; init; }

    /// <summary>The entry was in conflict (<c>"conflict": true</c>).</summary>
    public bool Conflict { get; init; }
}

/// <summary>
/// A parsed server frame. One instance per device, reused frame after frame (the receive loop is
/// single-threaded), so parsing a frame allocates nothing beyond error text.
/// </summary>
internal sealed class ReceivedFrame
{
    public FrameKind Kind { get; set; }

    public long? AckTimestamp { get; set; }

    /// <summary>The numeric part of an echoed <c>r&lt;n&gt;</c> request id; null on live pushes.</summary>
    public long? RequestId { get; set; }

    public bool More { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public List<ReceivedChange> Changes { get; } = [];

    public long MaxChangeTimestamp { get; set; }

    public void Clear()
    {
        Kind = FrameKind.Other;
        AckTimestamp = null;
        RequestId = null;
        More = false;
        ErrorCode = null;
        ErrorMessage = null;
        Changes.Clear();
        MaxChangeTimestamp = 0;
    }
}
