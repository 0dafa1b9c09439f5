namespace NoteSync.Shared.Protocol;

/// <summary>Why a frame was refused: an error code and a message naming the field.</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">What was wrong, e.g. <c>changes[2].timestamp must be an integer in 1..2^53-1</c>.</param>
public readonly record struct ProtocolError(string Code, string Message)
{
    /// <summary>A <see cref="ErrorCodes.BadRequest"/> error.</summary>
    public static ProtocolError BadRequest(string message) => new(ErrorCodes.BadRequest, message);

    /// <summary>A <see cref="ErrorCodes.TooLarge"/> error.</summary>
    public static ProtocolError TooLarge(string message) => new(ErrorCodes.TooLarge, message);

    /// <summary>A <see cref="ErrorCodes.RateLimited"/> frame answering <paramref name="requestId"/>, with its retry-after.</summary>
    public static ErrorFrame RateLimited(string message, int retryAfterMs, string? requestId) =>
        new() { Code = ErrorCodes.RateLimited, Message = message, RequestId = requestId, RetryAfterMs = retryAfterMs };

    /// <summary>The error as a frame answering <paramref name="requestId"/>.</summary>
    public ErrorFrame ToFrame(string? requestId) => new() { Code = Code, Message = Message, RequestId = requestId };
}
