namespace NoteSync.Bench.Devices;

/// <summary>The kinds of server frame the bench tells apart.</summary>
internal enum FrameKind
{
    Other,
    SyncAck,
    Error,
}

/// <summary>One change of a received <c>sync_ack</c>, reduced to what the bench measures.</summary>
internal readonly record struct ReceivedChange(long WriteIndex, long Timestamp, bool Own, bool InRun);

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
