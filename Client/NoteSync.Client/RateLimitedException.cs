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

    /// <summary>The wait in the hub's message (<c>rate_limited: ...; retry after &lt;n&gt; ms</c>), or the default.</summary>
    public static RateLimitedException FromHubMessage(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, @"retry after (\d{1,9}) ms");
        var wait = match.Success ? TimeSpan.FromMilliseconds(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)) : DefaultRetryAfter;
        return new RateLimitedException(message, wait);
    }
}
