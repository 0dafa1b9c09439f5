namespace NoteSync.Shared.Protocol;

/// <summary>The <c>code</c> values of an <see cref="ErrorFrame"/> (docs/protocol.md §4).</summary>
public static class ErrorCodes
{
    /// <summary>The frame is malformed or a change is invalid. Nothing of it was applied.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>No valid credentials.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>Credentials valid, but not for this.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>
    /// The frame, or a note it would grow, exceeds a configured limit: changes per push, key or value
    /// size, writes or bytes a note keeps at one timestamp, an HTTP body (docs/protocol.md §4.10).
    /// </summary>
    public const string TooLarge = "too_large";

    /// <summary>Too many pushes; retry later.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>
    /// The push would take the space over a quota (its notes or its bytes); nothing was applied. Keep
    /// the writes and send them again later, once room has been made: a client that does not know the
    /// code treats it as "retry later", which loses nothing.
    /// </summary>
    public const string QuotaExceeded = "quota_exceeded";

    /// <summary>
    /// The store cannot be reached, is shutting down or its disk is full, or the connection is closing.
    /// The writes may or may not be in (the store may fail after the write, while the answer is read):
    /// keep them and re-send later, which is harmless (docs/protocol.md §4.10).
    /// </summary>
    public const string Unavailable = "unavailable";

    /// <summary>What a request asked for is not there: a version the note's history does not hold (docs/protocol.md §4.13).</summary>
    public const string NotFound = "not_found";

    /// <summary>A server bug. Nothing was acknowledged.</summary>
    public const string Internal = "internal";
}
