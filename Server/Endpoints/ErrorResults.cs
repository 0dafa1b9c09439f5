using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>HTTP answers carrying an <see cref="ErrorFrame"/>, the same object the WebSocket sends.</summary>
internal static class ErrorResults
{
    public static IResult Of(int statusCode, ErrorFrame error) =>
        Results.Json(error, NoteSyncJsonContext.Wire.ErrorFrame, statusCode: statusCode);

    public static IResult Of(int statusCode, ProtocolError error, string? requestId = null) => Of(statusCode, error.ToFrame(requestId));

    /// <summary>
    /// The answer to a request <see cref="DeviceIdentity.Resolve(HttpContext, out ProtocolError?)"/> refused:
    /// 400, 401 (with <c>WWW-Authenticate: Bearer</c>) or 403, with the error object as body.
    /// </summary>
    public static IResult Refuse(HttpContext context, ProtocolError error)
    {
        if (error.Code == ErrorCodes.Unauthorized && !context.Response.HasStarted)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return Of(StatusFor(error.Code), error);
    }

    /// <summary>The HTTP status that goes with an error code.</summary>
    public static int StatusFor(string code) => code switch
    {
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,

        // Not 400: clients drop a push refused with 400 or 413 for good, and this one must be kept.
        ErrorCodes.QuotaExceeded => StatusCodes.Status507InsufficientStorage,
        ErrorCodes.Internal => StatusCodes.Status500InternalServerError,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status400BadRequest,
    };
}
