using System.Collections.Concurrent;
using NoteSync.Server.Fanout;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit.Sessions;

/// <summary>
/// The sync layer as a <see cref="DeviceSession"/> sees it, scripted by the test: each push's store write
/// completes when the test says (<see cref="Commit"/>), its answer's <c>ack_timestamp</c> is what the
/// test gave there, and live reads serve the space's <see cref="Head"/> from any cursor in one frame.
/// </summary>
internal sealed class FakeSessionSync : ISessionSync
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AppliedPush>> _writes = new();
    private readonly ConcurrentDictionary<string, long> _acks = new();
    private int _liveReads;

    public ISpaceListener<LiveFrame>? Listener { get; private set; }

    public bool Unsubscribed { get; private set; }

    /// <summary>The space's clock, as live reads serve it.</summary>
    public long Head { get; set; }

    public string? Epoch { get; set; }

    public int LiveReads => Volatile.Read(ref _liveReads);

    /// <summary>Completes the store write of the push <paramref name="requestId"/>; its answer carries <paramref name="ackTimestamp"/>.</summary>
    public void Commit(string requestId, long ackTimestamp)
    {
        _acks[requestId] = ackTimestamp;
        Write(requestId).TrySetResult(AppliedPush.Pull);
    }

    public Task<AppliedPush> ApplyAsync(string space, string deviceId, SyncPush push, CancellationToken cancellationToken = default) =>
        Write(push.RequestId!).Task;

    public Task<PushResult> AnswerAsync(string space, string deviceId, SyncPush push, AppliedPush applied, long liveSince = -1, long sentCursor = -1, CancellationToken cancellationToken = default) =>
        Task.FromResult(applied.Error is { } error
            ? PushResult.Failed(error)
            : PushResult.Acked(new SyncAck { AckTimestamp = _acks[push.RequestId!], RequestId = push.RequestId, Epoch = Epoch }));

    public Task<LiveFrame?> GetLiveFrameAsync(string space, long after, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _liveReads);
        var head = Head;
        return Task.FromResult(head <= after ? null : Live(after, head, Epoch));
    }

    public bool IsPullBudgetSpent(string space, out int retryAfterMs)
    {
        retryAfterMs = 0;
        return false;
    }

    public void SentLive(string space, long bytes)
    {
    }

    public IDisposable Listen(string space, ISpaceListener<LiveFrame> listener)
    {
        Listener = listener;
        return new Subscription(this);
    }

    /// <summary>A live push from <paramref name="after"/> to <paramref name="cursor"/>.</summary>
    public static LiveFrame Live(long after, long cursor, string? epoch = null) =>
        new(after, cursor, false, OutboundFrame.Of(new SyncAck { AckTimestamp = cursor, Epoch = epoch }));

    public static SyncPush Push(string requestId) => new() { RequestId = requestId, Changes = [] };

    private TaskCompletionSource<AppliedPush> Write(string requestId) =>
        _writes.GetOrAdd(requestId, _ => new TaskCompletionSource<AppliedPush>(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class Subscription(FakeSessionSync owner) : IDisposable
    {
        public void Dispose() => owner.Unsubscribed = true;
    }
}
