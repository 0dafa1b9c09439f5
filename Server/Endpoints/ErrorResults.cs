using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>HTTP answers carrying an <see cref="ErrorFrame"/>, the same object the WebSocket sends.</summary>
internal static class ErrorResults
{
    public static IResult Of(int statusCode, ErrorFrame error) =>
        Results.Json(error, NoteSyncJsonContext.Wire.ErrorFrame, statusCode: statusCode);

    public static IResult Of(int statusCode, ProtocolError error, string? requestId = null) => Of(statusCode, error.ToFrame(requestId));

    /// <summary>The HTTP status that goes with an error code.</summary>
    public static int StatusFor(string code) => code switch
    {
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCodes.Internal => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };
}
