namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>The properties the checker holds the service to.</summary>
internal enum ViolationKind
{
    /// <summary>An acknowledged write is neither in the final state nor beaten by a greater write.</summary>
    LostAckedWrite,

    /// <summary>Two final reads, or a live device and the final read, differ.</summary>
    Diverged,

    /// <summary>A connection saw an ack_timestamp lower than one it had seen before.</summary>
    AckTimestampWentBack,

    /// <summary>
    /// A push sent after another push's answer got a lower ack_timestamp: the cursor is one per space
    /// and never goes back (docs/protocol.md §3), whichever node answers.
    /// </summary>
    StaleAckTimestamp,

    /// <summary>An ack_timestamp below a timestamp its own push had accepted (docs/protocol.md §3: at least every accepted timestamp).</summary>
    AckBelowAcceptedTimestamp,

    /// <summary>The final state holds a write no writer ever sent.</summary>
    PhantomWrite,
}
