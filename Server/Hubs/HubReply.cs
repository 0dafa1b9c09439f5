using NoteSync.Server.Endpoints;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

/// <summary>
/// The answer to one <c>Push</c> invocation. SignalR writes live pushes (<c>Changes</c>) as they are
/// queued but the invocation's completion only when its task completes, so the answer waits until
/// every live push queued before it is written, then completes <see cref="OrderedReply{T}"/>, which puts
/// the completion in the connection's output before anything queued after it (docs/protocol.md §5).
/// </summary>
internal sealed class HubReply(DeviceConnection connection, CancellationToken connectionAborted) : IAnswerTarget
{
    // SignalR awaits the reply as soon as Push returns, and the queue drains unless the connection is
    // dying; the bounds only keep a dying connection from holding the session's gate.
    private static readonly TimeSpan AwaitBound = TimeSpan.FromSeconds(10);

    private readonly OrderedReply<SyncAck> _reply = new();
    private int _answered;

    public ValueTask<SyncAck> Task => _reply.Task;

    public async ValueTask DeliverAsync(PushResult result)
    {
        try
        {
            await _reply.Awaited.WaitAsync(AwaitBound, connectionAborted).ConfigureAwait(false);
            await connection.Session.Outbound.WhenSentAsync().WaitAsync(AwaitBound, connectionAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Answer anyway: an unanswered invocation would hang the caller.
        }

        if (connection.ExpireIfDue())
        {
            Fail(PushRefusals.TokenExpiredOnHub());
        }
        else if (result.Ack is { } ack)
        {
            if (Interlocked.Exchange(ref _answered, 1) == 0)
            {
                _reply.SetResult(ack);
            }
        }
        else
        {
            Fail(PushRefusals.OnHub(result.Error!));
        }
    }

    /// <summary>Fails the invocation, unless it was answered already.</summary>
    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            _reply.SetException(error);
        }
    }
}
