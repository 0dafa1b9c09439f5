using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// Turns a refusal as the server encodes it (docs/protocol.md §4.10, §5.4, §6) into
/// what the sync loop does about it, by its <c>code</c> alone: <c>bad_request</c> and <c>too_large</c>
/// are refusals for good (<see cref="PushRejectedException"/>), <c>rate_limited</c> is waited out,
/// <c>quota_exceeded</c> keeps the writes, <c>unauthorized</c> is a refused token, anything else
/// (<c>unavailable</c>, <c>internal</c>, a code this client does not know) is retried after a backoff.
/// </summary>
internal static partial class ServerRefusal
{
    /// <summary>What the .NET SignalR client puts before the server's <c>&lt;code&gt;: &lt;message&gt;</c> (docs/protocol.md §5.4).</summary>
    private const string HubExceptionPrefix = "HubException: ";

    /// <summary>The exception for a refusal with <paramref name="code"/> and the server's <paramref name="message"/>.</summary>
    public static Exception FromCode(string code, string message, TimeSpan? retryAfter = null) => code switch
    {
        ErrorCodes.BadRequest or ErrorCodes.TooLarge => new PushRejectedException(code, message),
        ErrorCodes.RateLimited => new RateLimitedException($"{code}: {message}", retryAfter ?? RateLimitedException.DefaultRetryAfter),
        ErrorCodes.QuotaExceeded => new QuotaExceededException($"{code}: {message}"),
        ErrorCodes.Unauthorized => new TokenRefusedException($"the server refused the token ({code}: {message})"),
        _ => new ServerErrorException(code, message),
    };

    /// <summary>
    /// The code and message of a hub invocation's error: the payload <c>&lt;code&gt;: &lt;message&gt;</c>, after
    /// the .NET client's own prefix when it added one; null when the payload carries no code (SignalR's own
    /// errors, such as a binding failure).
    /// </summary>
    public static (string Code, string Message)? ParseHubError(string hubMessage)
    {
        var at = hubMessage.IndexOf(HubExceptionPrefix, StringComparison.Ordinal);
        var payload = at >= 0 ? hubMessage[(at + HubExceptionPrefix.Length)..] : hubMessage;
        var match = CodePrefix().Match(payload);
        return match.Success ? (match.Groups[1].Value, payload[match.Length..]) : null;
    }

    /// <summary>A hub invocation's error as the exception the loop acts on, or null when it carries no code.</summary>
    public static Exception? FromHubError(string hubMessage)
    {
        if (ParseHubError(hubMessage) is not var (code, message))
        {
            return null;
        }

        // On the hub the wait is part of the rate_limited message (docs/protocol.md §4.9).
        TimeSpan? wait = null;
        if (code == ErrorCodes.RateLimited && RetryAfter().Match(message) is { Success: true } retry)
        {
            wait = TimeSpan.FromMilliseconds(long.Parse(retry.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        return FromCode(code, message, wait);
    }

    /// <summary>
    /// An HTTP refusal of <c>POST /sync</c> (docs/protocol.md §6): the body's <c>code</c> when it has an
    /// error object; otherwise the status (a proxy's 413 has no error object, and is <c>too_large</c> all the same).
    /// </summary>
    public static Exception FromHttp(HttpStatusCode status, string? reasonPhrase, ErrorFrame? body, TimeSpan? retryAfterHeader)
    {
        var retryAfter = body?.RetryAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms) : retryAfterHeader;
        if (body is { Code: { Length: > 0 } code })
        {
            return FromCode(code, body.Message, retryAfter);
        }

        var statusCode = status switch
        {
            HttpStatusCode.Unauthorized => ErrorCodes.Unauthorized,
            HttpStatusCode.BadRequest => ErrorCodes.BadRequest,
            HttpStatusCode.RequestEntityTooLarge => ErrorCodes.TooLarge,
            HttpStatusCode.TooManyRequests => ErrorCodes.RateLimited,
            HttpStatusCode.InsufficientStorage => ErrorCodes.QuotaExceeded,
            _ => null,
        };
        if (statusCode is null)
        {
            return new HttpRequestException($"the server answered {(int)status} {reasonPhrase}", null, status);
        }

        var tooLarge = status == HttpStatusCode.RequestEntityTooLarge;
        return FromCode(statusCode, $"HTTP {(int)status} {reasonPhrase} without an error object (from a proxy in front of the server?)" + (tooLarge ? ": the request body is larger than it takes" : ""), retryAfter);
    }

    /// <summary>A 401 anywhere in the chain: a refused token, or the status of an HTTP request or WebSocket upgrade.</summary>
    public static bool IsUnauthorized(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is TokenRefusedException or HttpRequestException { StatusCode: HttpStatusCode.Unauthorized })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The server could not be reached at all (refused connection, no route): an outage, not a WebSocket problem.</summary>
    public static bool IsUnreachable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The server answered, with an error: a refusal this client retries (<see cref="ServerErrorException"/>), a hub
    /// method that failed on the server, or an HTTP error status from it. A gateway's 502 or 504 says the server
    /// behind it was not reached, so it is not one.
    /// </summary>
    public static bool IsServerError(Exception ex) => ex switch
    {
        ServerErrorException or Microsoft.AspNetCore.SignalR.HubException => true,
        HttpRequestException { StatusCode: { } status } => status is not (HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout),
        _ => false,
    };

    /// <summary>
    /// <paramref name="message"/> without the exception type names SignalR writes into a hub error
    /// (<c>An unexpected error occurred invoking 'Push' on the server. HubException: ...</c>): what a person
    /// reads is what the server said.
    /// </summary>
    public static string WithoutTypeNames(string message)
    {
        var text = TypeName().Replace(message, "").Trim();
        return text.Length == 0 ? "the server gave no reason" : text;
    }

    [GeneratedRegex(@"\b(?:[A-Z][A-Za-z0-9]*\.)*[A-Z][A-Za-z0-9]*Exception: ")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"^([a-z_]{1,40}): ")]
    private static partial Regex CodePrefix();

    [GeneratedRegex(@"retry after (\d{1,9}) ms")]
    private static partial Regex RetryAfter();
}

/// <summary>A refusal the loop retries after a backoff (<c>unavailable</c>, <c>internal</c>, a code it does not know).</summary>
internal sealed class ServerErrorException(string code, string message) : Exception($"{code}: {message}")
{
    public string Code { get; } = code;
}
