namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>What a writer learned about one push. Only <see cref="Acked"/> promises anything.</summary>
internal enum PushOutcome
{
    /// <summary>Sent, no answer yet.</summary>
    Pending,

    /// <summary>A sync_ack answered it: its writes are durable.</summary>
    Acked,

    /// <summary>An error frame (or HTTP error) answered it; with Redis the write may still have landed.</summary>
    Failed,

    /// <summary>The connection died or timed out before any answer: the write may or may not be in.</summary>
    Unknown,
}
