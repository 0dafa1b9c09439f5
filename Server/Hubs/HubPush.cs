using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

/// <summary>
/// The argument of the hub's <c>Push</c> as the hub protocols read it (<see cref="HubPushJson"/>,
/// <see cref="HubPushMessagePack"/>): the push, or why it cannot be one. A reading error cannot be
/// thrown from there: SignalR would answer it with its own binding error, without the field's name
/// or the <c>&lt;code&gt;:</c> prefix, so the hub refuses it in the push's turn instead.
/// </summary>
internal sealed class HubPush
{
    private HubPush(SyncPush? push, ProtocolError? error, string? requestId)
    {
        Push = push;
        Error = error;
        RequestId = requestId;
    }

    /// <summary>The push; null exactly when <see cref="Error"/> is set.</summary>
    public SyncPush? Push { get; }

    public ProtocolError? Error { get; }

    /// <summary>The push's <c>request_id</c>, when it could be read.</summary>
    public string? RequestId { get; }

    public static HubPush Of(SyncPush? push, ProtocolError? error, string? requestId) =>
        (push is null) == (error is null)
            ? throw new ArgumentException("a hub push is either a push or an error", nameof(error))
            : new HubPush(push, error, requestId);
}
