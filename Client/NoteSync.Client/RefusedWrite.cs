namespace NoteSync.Client;

/// <summary>
/// A local write the server refused for good (<c>bad_request</c>, <c>too_large</c>, or HTTP 400/413, a
/// proxy's included): kept in the outbox, set aside, and not sent again until the note is written again
/// here, which replaces it. The rest of the outbox goes on without it.
/// </summary>
/// <param name="Path">The note's path (the key without <c>note:</c>).</param>
/// <param name="Timestamp">The refused write's Lamport timestamp.</param>
/// <param name="Code">The server's error code: <c>bad_request</c> or <c>too_large</c>.</param>
/// <param name="Reason">The server's message, or what the HTTP answer said when it came from a proxy.</param>
public sealed record RefusedWrite(string Path, long Timestamp, string Code, string Reason);
