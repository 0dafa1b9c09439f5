using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>One frame as its transport read it: a push, or why it is not one (with the frame's <c>request_id</c> when the reader found it).</summary>
internal readonly record struct PushRead
{
    private PushRead(SyncPush? push, ErrorFrame? error, int httpStatus)
    {
        Push = push;
        Error = error;
        HttpStatus = httpStatus;
    }

    /// <summary>The push; null exactly when <see cref="Error"/> is set.</summary>
    public SyncPush? Push { get; }

    public ErrorFrame? Error { get; }

    /// <summary>For <c>POST /sync</c>: the status of a refusal of the body itself (413, 415), or 0 for the one its code maps to.</summary>
    public int HttpStatus { get; }

    /// <summary>The frame's <c>request_id</c>, when it could be read.</summary>
    public string? RequestId => Push?.RequestId ?? Error?.RequestId;

    /// <summary>What a reader returned (<see cref="SyncPushReader.Read"/> and the hub's readers).</summary>
    public static PushRead Of(SyncPush? push, ProtocolError? error, string? requestId) =>
        push is not null ? new(push, null, 0) : new(null, error!.Value.ToFrame(requestId), 0);

    /// <summary>A frame refused before any reader saw it (a binary frame, an HTTP body of the wrong type or size).</summary>
    public static PushRead Refused(ProtocolError error, int httpStatus = 0) => new(null, error.ToFrame(null), httpStatus);
}
