namespace NoteSync.Client;

/// <summary>
/// The server refused a push with <c>quota_exceeded</c>: the space is full (too many notes or bytes),
/// nothing was applied, and the same writes go in once room is made (docs/protocol.md, error messages).
/// The message is the server's, from the code on.
/// </summary>
internal sealed class QuotaExceededException(string message) : Exception(message)
{
    /// <summary>How many writes of the outbox the refused push carried.</summary>
    public int Writes { get; init; }
}
