using NoteSync.Server.Fanout;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// One connected device, whatever the transport. It owns the connection's cursor: the newest
/// <c>ack_timestamp</c> the device was sent. Answers and live pushes are serialized through one gate,
/// so a live push always starts exactly where the device's last frame ended (gap-free). Rings that
/// arrive while the device's pushes await answers are held back (the answers carry those changes, and
/// a live push would echo the device's own writes). Live pushes start after the device's first push:
/// before that the server does not know what the device holds. Frames leave through the session's
/// <see cref="OutboundQueue"/>, which decides when a live push must wait (docs/protocol.md §4, live pushes).
/// </summary>
internal sealed partial class DeviceSession : ISpaceListener<LiveFrame>, IAsyncDisposable
{
    private const long NotSynced = -1;

    /// <summary>How many pushes of one connection may be between arrival and answer (docs/protocol.md §4, pipelining).</summary>
    public const int MaxPushesInFlight = 64;

    /// <summary>The message of the <c>unavailable</c> error a push gets when its connection closes before its answer.</summary>
    public const string ClosingMessage = "the connection is closing";

    /// <summary>
    /// The longest a connection's next frame waits after a <c>rate_limited</c> answer: below every
    /// heartbeat timeout of docs/protocol.md §10, so a held connection is never taken for a dead one.
    /// </summary>
    public const int MaxReadHoldMs = 5_000;

    /// <summary>
    /// The shortest retry-after that holds the next frame. Shorter waits (a push budget of hundreds a
    /// second refills in milliseconds) end before a refusal loop costs much, and holding each frame of a
    /// pipelined flood that briefly only turns it into a queue of timers; a spent byte budget's waits
    /// of a second or more are where a device that ignores them would keep a core busy.
    /// </summary>
    public const int MinReadHoldMs = 100;

    private readonly ISessionSync _sync;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _inFlight = new(MaxPushesInFlight, MaxPushesInFlight);
    private readonly IDisposable _subscription;
    private Task _answers = Task.CompletedTask;

    // Environment.TickCount64 until which the connection's next frame waits: a device told to retry
    // later that sends again at once is not read (TCP holds it back) rather than read, parsed and
    // refused again, which cost the node the CPU other spaces needed (docs/benchmarks.md, abuse).
    private long _holdReadsUntil;
    private int _pending;
    private bool _pumpAfterAnswers;
    private int _pumpScheduled;
    private int _pumpDelayed;

    // Written inside the gate; read outside it only to skip work that the gate would find useless.
    private long _cursor = NotSynced;

    // The cursor of the connection's first whole answer: every change after it reaches the device live
    // (or in an answer), so answers to its writes from there repeat nothing it is not sent anyway.
    // Written inside the gate.
    private long _liveSince = NotSynced;

    // The history _cursor belongs to; written inside the gate, with _cursor.
    private string? _epoch;

    // Told once per connection, with its first answer: they do not change while it lasts.
    private SyncLimits? _limitsToTell;

    public DeviceSession(string space, string deviceId, ISessionSync sync, IFrameSink sink, LimitsOptions limits, NoteSyncMetrics metrics, ILogger logger)
    {
        Space = space;
        DeviceId = deviceId;
        _sync = sync;
        _logger = logger;
        _limitsToTell = limits.ToSyncLimits();
        Outbound = new OutboundQueue(sink, limits, metrics, logger, space, deviceId, SchedulePump);
        _subscription = sync.Listen(space, this);
    }

    public string Space { get; }

    public string DeviceId { get; }

    /// <summary>The connection's outgoing frames; a transport that writes answers itself waits on it (<see cref="OutboundQueue.WhenSentAsync"/>).</summary>
    public OutboundQueue Outbound { get; }

    /// <summary>Cancelled when the session ends (closed, aborted or cut).</summary>
    public CancellationToken Closed => Outbound.Closed;

    /// <summary>The newest <c>ack_timestamp</c> sent to the device, or -1 before its first answer.</summary>
    public long Cursor => Volatile.Read(ref _cursor);

    /// <summary>
    /// Starts a push and returns once its store write is queued; the answer follows later. Pushes of one
    /// connection are pipelined: their writes reach the store in arrival order (so one group commit can
    /// carry several of them) while their answers go to <paramref name="answers"/> strictly in the same
    /// order, each inside the gate, so an answer goes out before any live push that follows it and no
    /// <c>ack_timestamp</c> goes back. At most <see cref="MaxPushesInFlight"/> wait at once; beyond that
    /// this waits, which stops the transport reading from a device that floods.
    /// </summary>
    /// <remarks>Called by one transport loop at a time: pushes of a connection arrive in order.</remarks>
    public async Task SubmitAsync(SyncPush push, IAnswerTarget answers, CancellationToken cancellationToken = default)
    {
        await ReserveAsync(cancellationToken).ConfigureAwait(false);
        var applied = _sync.ApplyAsync(Space, DeviceId, push, cancellationToken);
        _answers = AnswerInOrderAsync(_answers, applied, push, answers, cancellationToken);
    }

    /// <summary>Answers a frame refused before it became a push (unreadable, over the rate), in its turn among the answers.</summary>
    public async Task RefuseAsync(ErrorFrame error, IAnswerTarget answers, CancellationToken cancellationToken = default)
    {
        await ReserveAsync(cancellationToken).ConfigureAwait(false);
        var refused = Task.FromResult(AppliedPush.Refused(error));
        _answers = AnswerInOrderAsync(_answers, refused, new SyncPush { RequestId = error.RequestId }, answers, cancellationToken);
    }

    /// <summary>
    /// Waits, at most <see cref="MaxReadHoldMs"/>, until the retry-after of the connection's last
    /// <c>rate_limited</c> answer has passed. Transports call it before taking a frame, so a device
    /// that waits as told never waits here.
    /// </summary>
    public Task WaitOutRefusalAsync(CancellationToken cancellationToken)
    {
        var wait = Volatile.Read(ref _holdReadsUntil) - Environment.TickCount64;
        return wait > 0 ? Task.Delay((int)Math.Min(wait, MaxReadHoldMs), cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Completes when every submitted push has been answered (or failed).</summary>
    public Task DrainAsync() => _answers;

    /// <summary>Stops hearing the space and completes once every frame queued so far has been written.</summary>
    public Task FlushAsync()
    {
        _subscription.Dispose();
        return Outbound.CompleteAsync();
    }

    /// <summary>Ends the session after the queued frames are written (or the connection fails).</summary>
    public async ValueTask DisposeAsync()
    {
        // The gate is not disposed: a pump may still be leaving it, and it holds no unmanaged resource.
        _subscription.Dispose();
        await Outbound.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ReserveAsync(CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _pending);
    }

    private async Task AnswerInOrderAsync(Task previous, Task<AppliedPush> applying, SyncPush push, IAnswerTarget answers, CancellationToken cancellationToken)
    {
        try
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var applied = await applying.ConfigureAwait(false);
            PushResult result;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                result = await _sync.AnswerAsync(Space, DeviceId, push, applied, _liveSince, _cursor, cancellationToken).ConfigureAwait(false);
                if (result.Ack is { } ack && WentBack(ack))
                {
                    // The space's clock is below what this connection was sent: the store lost writes
                    // the device holds (a failover promoted a replica without them), and the history
                    // is renamed only at the space's next change. Sent, the answer would take the
                    // clock back on the connection, and only a reset makes the device upload what was
                    // lost. So the connection is dropped, as when the epoch changes under it: the
                    // device comes back with its last_ack above the clock (or, once the space has
                    // changed again, with an epoch that is no longer the space's) and is reset
                    // (docs/protocol.md §3, epochs and resets).
                    Log.ClockWentBack(_logger, Space, DeviceId, _cursor, ack.AckTimestamp);
                    await answers.DeliverAsync(PushResult.Failed(new ErrorFrame { Code = ErrorCodes.Unavailable, Message = ClosingMessage, RequestId = push.RequestId })).ConfigureAwait(false);
                    Outbound.Cut();
                    return;
                }

                if (result.Ack is { } acked)
                {
                    // A reset moves the cursor into another history, where it may well be lower.
                    Volatile.Write(ref _cursor, acked.Reset ? acked.AckTimestamp : Math.Max(_cursor, acked.AckTimestamp));
                    _epoch = acked.Epoch ?? _epoch;
                    if (_liveSince == NotSynced && !acked.More)
                    {
                        _liveSince = acked.AckTimestamp;
                    }

                    acked.Limits = _limitsToTell;
                    _limitsToTell = null;
                }

                if (result.Error is { Code: ErrorCodes.RateLimited, RetryAfterMs: >= MinReadHoldMs and var retryAfterMs })
                {
                    Volatile.Write(ref _holdReadsUntil, Environment.TickCount64 + retryAfterMs);
                }

                await answers.DeliverAsync(result).ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }

            // A paged answer: the rest follows as live pushes, so a device that does not pull again still gets it.
            if (result.Ack?.More == true)
            {
                Volatile.Write(ref _pumpAfterAnswers, true);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || Closed.IsCancellationRequested)
        {
            // The connection is gone; an applied push is durable and its re-send is harmless.
        }
        catch (Exception ex)
        {
            // A bug in answering one push must not stop the answers to the next ones: drop the device,
            // which re-sends what it did not see acknowledged.
            Log.AnswerFailed(_logger, Space, DeviceId, ex);
            Outbound.Cut();
        }
        finally
        {
            // Rings heard while answers were pending were held back (the answers carry those changes);
            // once the last answer is out, a pump sends whatever came after it.
            if (Interlocked.Decrement(ref _pending) == 0 && Interlocked.Exchange(ref _pumpAfterAnswers, false))
            {
                SchedulePump();
            }

            _inFlight.Release();
        }
    }

    public void OnSpaceAdvanced(long cursor, LiveFrame? frame)
    {
        // Behind with live pushes held back: the queue calls the pump once it has drained.
        if (cursor <= Volatile.Read(ref _cursor) || Outbound.IsLiveDeferred)
        {
            return;
        }

        // While the device has pushes waiting for answers, those answers will carry this change (and
        // a live push now would echo the device's own writes back to it): send nothing until they are out.
        if (Volatile.Read(ref _pending) > 0)
        {
            Volatile.Write(ref _pumpAfterAnswers, true);
            if (Volatile.Read(ref _pending) > 0)
            {
                return;
            }
        }

        // Fast path: the ring carries exactly the next frame for this device and nothing else holds
        // the gate, so send it from here: no pump, no read, no thread switch.
        if (frame is not null && frame.After == Volatile.Read(ref _cursor) && _gate.Wait(0))
        {
            try
            {
                if (frame.After == _cursor && !Closed.IsCancellationRequested)
                {
                    if (!HistoryChanged(frame.Frame) && Outbound.TryEnqueueLive(frame.Frame))
                    {
                        Volatile.Write(ref _cursor, frame.Cursor);
                        _sync.SentLive(Space, frame.Bytes);
                    }

                    return;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        SchedulePump();
    }

    private void SchedulePump()
    {
        if (Volatile.Read(ref _cursor) == NotSynced || Closed.IsCancellationRequested)
        {
            return;
        }

        // Coalesce: one pending pump serves every ring that arrives before it runs.
        if (Interlocked.Exchange(ref _pumpScheduled, 1) == 0)
        {
            _ = Task.Run(PumpAsync);
        }
    }

    private void SchedulePumpAfter(int delayMs)
    {
        // One timer at a time: rings meanwhile find the budget spent too and would each start one.
        if (Interlocked.Exchange(ref _pumpDelayed, 1) == 1)
        {
            return;
        }

        _ = Task.Delay(delayMs, Closed).ContinueWith(
            _ =>
            {
                Volatile.Write(ref _pumpDelayed, 0);
                SchedulePump();
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private async Task PumpAsync()
    {
        var closed = Closed;
        try
        {
            await _gate.WaitAsync(closed).ConfigureAwait(false);
            try
            {
                Volatile.Write(ref _pumpScheduled, 0);

                // No hold here while answers are due (unlike a ring): a device that pushes without
                // pause would then get changes only inside its answers, which grow with every
                // pipelined push (measured: fan-out p99 6.7 -> 28 ms). A pump racing an answer may
                // echo the device's own write; that is harmless.
                while (!closed.IsCancellationRequested)
                {
                    // No read for a queue that could not take its result: it calls the pump back once drained.
                    if (!Outbound.HasLiveRoom())
                    {
                        break;
                    }

                    // The space has been served its budget of reads: catch up once the refill allows.
                    if (_sync.IsPullBudgetSpent(Space, out var retryAfterMs))
                    {
                        SchedulePumpAfter(retryAfterMs);
                        break;
                    }

                    var live = await _sync.GetLiveFrameAsync(Space, _cursor, closed).ConfigureAwait(false);
                    if (live is null || HistoryChanged(live.Frame) || !Outbound.TryEnqueueLive(live.Frame))
                    {
                        break;
                    }

                    Volatile.Write(ref _cursor, live.Cursor);
                    _sync.SentLive(Space, live.Bytes);
                    if (!live.More)
                    {
                        break;
                    }
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (OperationCanceledException) when (closed.IsCancellationRequested)
        {
            // The session ended; the device resumes from its last_ack when it returns.
        }
        catch (Exception ex)
        {
            // A failed read leaves the cursor where it was: the next ring (or push) retries from there.
            Log.LivePushFailed(_logger, Space, DeviceId, ex);
        }
    }

    // An answer below the connection's cursor. A `more` page carries the seq of its last change, and a
    // reset starts the device over in another history: both may be lower. Call inside the gate.
    private bool WentBack(SyncAck ack) => !ack.More && !ack.Reset && ack.AckTimestamp < _cursor;

    // The space's history was renamed under this connection (a lossy failover): its cursor means
    // nothing there, and only the device can say what it holds. Dropping the connection makes it
    // reconnect with its epoch and get a reset. Call inside the gate.
    private bool HistoryChanged(OutboundFrame frame)
    {
        var epoch = frame.Ack?.Epoch;
        if (_epoch is null || epoch is null || epoch == _epoch)
        {
            _epoch ??= epoch;
            return false;
        }

        Log.HistoryChanged(_logger, Space, DeviceId, _epoch, epoch);
        Outbound.Cut();
        return true;
    }
}
