namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// One attempt to push: a retry of the same writes on another connection is a record of its own, so
/// the history shows which attempts were cut and which one got the ack.
/// </summary>
internal sealed class PushRecord
{
    public required int Id { get; init; }

    public required string Writer { get; init; }

    public required string ConnectionId { get; init; }

    public required int Node { get; init; }

    public required Transport Transport { get; init; }

    public required IReadOnlyList<WrittenChange> Changes { get; init; }

    /// <summary>True when an earlier attempt carried the same writes.</summary>
    public required bool IsRetry { get; init; }

    public required TimeSpan SentAt { get; init; }

    public PushOutcome Outcome { get; set; } = PushOutcome.Pending;

    public TimeSpan? AnsweredAt { get; set; }

    public long? AckTimestamp { get; set; }

    /// <summary>True when the answer was a <c>more</c> page, whose ack_timestamp is the seq of its last change, not the cursor.</summary>
    public bool AckMore { get; set; }

    public string? Error { get; set; }

    public override string ToString() =>
        $"push #{Id} by {Writer} on node {Node} over {Transport} ({ConnectionId}){(IsRetry ? " [retry]" : "")}: {Outcome}"
        + (AckTimestamp is { } ack ? $" ack_timestamp={ack}" : "")
        + (Error is { } e ? $" ({e})" : "");
}
