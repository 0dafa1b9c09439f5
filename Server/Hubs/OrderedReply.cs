using System.Threading.Tasks.Sources;

namespace NoteSync.Server.Hubs;

/// <summary>
/// The result of a hub invocation that SignalR writes before anything sent after it.
/// SignalR writes an invocation's completion only once the hub method's task completes, while live
/// pushes are written as they come; an ack completed first could otherwise be overtaken by a live
/// push that follows it, and the device would see <c>ack_timestamp</c> go back. This source completes
/// only after SignalR awaits it (<see cref="Awaited"/>) and runs SignalR's continuation inline, so by
/// the time <see cref="SetResult"/> returns the completion is in the connection's output.
/// </summary>
internal sealed class OrderedReply<T> : IValueTaskSource<T>
{
    private readonly TaskCompletionSource _awaited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ManualResetValueTaskSourceCore<T> _core = new() { RunContinuationsAsynchronously = false };

    public ValueTask<T> Task => new(this, _core.Version);

    /// <summary>Completes when the invoker awaits <see cref="Task"/>.</summary>
    public Task Awaited => _awaited.Task;

    public void SetResult(T result) => _core.SetResult(result);

    public void SetException(Exception exception) => _core.SetException(exception);

    public T GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        _core.OnCompleted(continuation, state, token, flags);
        _awaited.TrySetResult();
    }
}
