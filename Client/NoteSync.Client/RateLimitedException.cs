namespace NoteSync.Client;

/// <summary>
/// The server refused a push with <c>rate_limited</c>: nothing was applied, and the same push may be sent
/// again after <see cref="RetryAfter"/> (docs/protocol.md §4.9).
/// </summary>
internal sealed class RateLimitedException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>Used when the server named no wait.</summary>
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    public TimeSpan RetryAfter { get; } = retryAfter;
}
