using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Limits;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// How a refused push is told on each transport. What is refused, and in which order, is
/// <see cref="PushIntake"/>'s. The raw WebSocket sends the <see cref="ErrorFrame"/> itself, in its turn
/// among the answers (docs/protocol.md §4, errors); the hub fails the invocation with
/// <c>&lt;code&gt;: &lt;message&gt;</c> (§5); <c>POST /sync</c> answers an HTTP status with the
/// error object as body (§6). A token that expires is not a frame: the WebSocket closes, the hub fails
/// the push and ends the connection.
/// </summary>
internal static class PushRefusals
{
    /// <summary>The reason of the WebSocket close, and the message of the hub's error, at the token's expiry.</summary>
    public const string TokenExpiredMessage = "the token has expired";

    /// <summary>The WebSocket's close status at the token's expiry.</summary>
    public const WebSocketCloseStatus TokenExpiredClose = WebSocketCloseStatus.PolicyViolation;

    /// <summary>The hub's error for a push that arrives, or is answered, after the token expired.</summary>
    public static HubException TokenExpiredOnHub() => new($"{ErrorCodes.Unauthorized}: {TokenExpiredMessage}");

    /// <summary>The hub's error for <paramref name="error"/>.</summary>
    public static HubException OnHub(ErrorFrame error) => new($"{error.Code}: {error.Message}");

    /// <summary>The hub's error for a push whose connection closed before its answer.</summary>
    public static HubException ClosingOnHub() => new($"{ErrorCodes.Unavailable}: {Sync.DeviceSession.ClosingMessage}");

    /// <summary>
    /// The answer of <c>POST /sync</c> to <paramref name="error"/>: <paramref name="status"/>, or the one
    /// its code maps to (<see cref="ErrorResults.StatusFor"/>), with <c>Retry-After</c> when it says when.
    /// </summary>
    public static IResult OnHttp(HttpContext context, ErrorFrame error, int status = 0)
    {
        if (error.RetryAfterMs is { } retryAfterMs)
        {
            context.Response.Headers.RetryAfter = SyncRateLimits.RetryAfterSeconds((int)retryAfterMs);
        }

        return ErrorResults.Of(status != 0 ? status : ErrorResults.StatusFor(error.Code), error);
    }
}
