using System.Threading.Channels;
using NoteSync.Server.Fanout;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// One connected device, whatever the transport. It owns the connection's cursor: the newest
/// <c>ack_timestamp</c> the device was sent. Pushes and live pushes are serialized through one gate,
/// so a live push always starts exactly where the device's last frame ended (gap-free). Rings that
/// arrive while the device's pushes await answers are held back (the answers carry those changes, and
/// a live push would echo the device's own writes). Live pushes start after the device's first push: before that the
/// server does not know what the device holds. Outgoing frames wait in a bounded queue. Live pushes
/// may fill only half of it: beyond that they wait in the log, and once the device has read the
/// queue down, one pump sends everything since its cursor in one frame, so a device that reads
/// slowly gets fewer, larger frames instead of being cut. A device that reads nothing for
/// <see cref="LimitsOptions.SendStallMs"/> while frames wait for it is disconnected rather than allowed
/// to hold memory or delay anyone else; answers wait for room, which stops reading the device's frames.
/// </summary>
internal sealed partial class DeviceSession : ISpaceListener, IAsyncDisposable
{
    private const long NotSynced = -1;

    /// <summary>How many pushes of one connection may be between arrival and answer.</summary>
    public const int MaxPushesInFlight = 64;

    /// <summary>The message of the <c>unavailable</c> error a push gets when its connection closes before its answer.</summary>
    public const string ClosingMessage = "the connection is closing";

    private readonly SyncService _service;
    private readonly NoteSyncMetrics _metrics;
    private readonly IFrameSink _sink;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<OutboundFrame> _outbound;
    private readonly CancellationTokenSource _closed = new();
    private readonly IDisposable _subscription;
    private readonly Task _writer;
    private readonly SemaphoreSlim _inFlight = new(MaxPushesInFlight, MaxPushesInFlight);
    private readonly int _liveHighWater;
    private readonly int _liveLowWater;
    private readonly int _sendStallMs;
    private Timer? _stallTimer;
    private int _stallTimerArmed;
    private long _lastSentAt = Environment.TickCount64;
    private int _liveDeferred;
    private int _pumpDelayed;
    private Task _answers = Task.CompletedTask;
    private int _pending;
    private bool _pumpAfterAnswers;
    private int _unsent;
    private TaskCompletionSource? _sentWaiter;
    private long _cursor = NotSynced;

    // The history _cursor belongs to; written inside the gate, with _cursor.
    private string? _epoch;
    private int _pumpScheduled;
    private bool _flushing;

    // Told once per connection, with its first answer: they do not change while it lasts.
    private SyncLimits? _limitsToTell;

    public DeviceSession(string space, string deviceId, SyncService service, IFrameSink sink, LimitsOptions limits, ILogger logger)
    {
        var sendQueueFrames = limits.SendQueueFrames;
        _liveHighWater = Math.Max(1, sendQueueFrames / 2);
        _liveLowWater = _liveHighWater / 2;
        _sendStallMs = limits.SendStallMs;
        _limitsToTell = limits.ToSyncLimits();
        Space = space;
        DeviceId = deviceId;
        _service = service;
        _metrics = service.Metrics;
        _sink = sink;
        _logger = logger;
        _outbound = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(sendQueueFrames)
        {
            SingleReader = true,
            SingleWriter = false,
            // The writer loop runs on the thread that queues the frame: a live push is written to every
            // device of the space from the ring's thread, without a thread-pool hop per device.
            AllowSynchronousContinuations = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
        _subscription = service.Listen(space, this);
    }

    public string Space { get; }

    public string DeviceId { get; }

    /// <summary>Cancelled when the session ends (closed, aborted or cut for lagging).</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>
    /// Starts a push and returns once its store write is queued; the answer follows later. Pushes of one
    /// connection are pipelined: their writes reach the store in arrival order (so one group commit can
    /// carry several of them) while their answers are handed to <paramref name="deliver"/> strictly in
    /// the same order, each inside the gate, so an answer goes out before any live push that follows
    /// it and no <c>ack_timestamp</c> goes back. At most <see cref="MaxPushesInFlight"/> wait at once;
    /// beyond that this waits, which stops the transport reading from a device that floods.
    /// </summary>
    /// <remarks>Called by one transport loop at a time: pushes of a connection arrive in order.</remarks>
    public async Task SubmitAsync(SyncPush push, Func<PushResult, ValueTask> deliver, CancellationToken cancellationToken = default)
    {
        await ReserveAsync(cancellationToken).ConfigureAwait(false);
        var applied = _service.ApplyAsync(Space, DeviceId, push, cancellationToken);
        _answers = AnswerInOrderAsync(_answers, applied, push, deliver, cancellationToken);
    }

    /// <summary>Answers a frame that never became a push (malformed JSON, a binary frame), in its turn among the answers.</summary>
    public async Task SubmitErrorAsync(ErrorFrame error, Func<PushResult, ValueTask> deliver, CancellationToken cancellationToken = default)
    {
        await ReserveAsync(cancellationToken).ConfigureAwait(false);
        var refused = Task.FromResult(AppliedPush.Refused(error));
        _answers = AnswerInOrderAsync(_answers, refused, new SyncPush { RequestId = error.RequestId }, deliver, cancellationToken);
    }

    private async Task ReserveAsync(CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _pending);
    }

    /// <summary>Completes when every submitted push has been answered (or failed).</summary>
    public Task DrainAsync() => _answers;

    private async Task AnswerInOrderAsync(Task previous, Task<AppliedPush> applying, SyncPush push, Func<PushResult, ValueTask> deliver, CancellationToken cancellationToken)
    {
        try
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var applied = await applying.ConfigureAwait(false);
            PushResult result;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                result = await _service.AnswerAsync(Space, DeviceId, push, applied, cancellationToken).ConfigureAwait(false);
                if (result.Ack is { } ack && WentBack(ack))
                {
                    // The space's clock is below what this connection was sent: the store lost writes
                    // the device holds (a failover promoted a replica without them), and the history
                    // is renamed only at the space's next change. Sent, the answer would take the
                    // clock back on the connection, and only a reset makes the device upload what was
                    // lost. So the connection is dropped, as when the epoch changes under it: the
                    // device comes back with its last_ack above the clock (or, once the space has
                    // changed again, with an epoch that is no longer the space's) and is reset.
                    Log.ClockWentBack(_logger, Space, DeviceId, _cursor, ack.AckTimestamp);
                    await deliver(PushResult.Failed(new ErrorFrame { Code = ErrorCodes.Unavailable, Message = ClosingMessage, RequestId = push.RequestId })).ConfigureAwait(false);
                    Cut();
                    return;
                }

                if (result.Ack is { } acked)
                {
                    // A reset moves the cursor into another history, where it may well be lower.
                    Volatile.Write(ref _cursor, acked.Reset ? acked.AckTimestamp : Math.Max(_cursor, acked.AckTimestamp));
                    _epoch = acked.Epoch ?? _epoch;
                    acked.Limits = _limitsToTell;
                    _limitsToTell = null;
                }

                await deliver(result).ConfigureAwait(false);
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
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || _closed.IsCancellationRequested)
        {
            // The connection is gone; an applied push is durable and its re-send is harmless.
        }
        catch (Exception ex)
        {
            // A bug in answering one push must not stop the answers to the next ones: drop the device,
            // which re-sends what it did not see acknowledged.
            Log.AnswerFailed(_logger, Space, DeviceId, ex);
            Cut();
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

    /// <summary>
    /// Queues an answer (the raw WebSocket's), waiting for room when the queue is full. A device that
    /// pushes faster than it reads its answers is slowed, not cut: this wait holds the push's in-flight
    /// slot, so after <see cref="MaxPushesInFlight"/> the transport stops reading its frames. One that
    /// stops reading altogether is cut by the stall timer (<see cref="LimitsOptions.SendStallMs"/>).
    /// </summary>
    public async ValueTask EnqueueAnswer(PushResult result)
    {
        var frame = result.Ack is { } ack ? OutboundFrame.Of(ack) : OutboundFrame.Of(result.Error!);
        Interlocked.Increment(ref _unsent);
        if (_outbound.Writer.TryWrite(frame))
        {
            return;
        }

        try
        {
            await _outbound.Writer.WriteAsync(frame, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Closing: the device re-sends what it did not see acknowledged.
            Interlocked.Decrement(ref _unsent);
        }
    }

    public void OnSpaceAdvanced(long cursor, LiveFrame? frame)
    {
        // Behind with live pushes held back: the write loop pumps everything once the queue drains.
        if (cursor <= Volatile.Read(ref _cursor) || Volatile.Read(ref _liveDeferred) == 1)
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
                if (frame.After == _cursor && !_closed.IsCancellationRequested)
                {
                    if (HistoryChanged(frame.Frame))
                    {
                        return;
                    }

                    if (EnqueueLive(frame.Frame))
                    {
                        Volatile.Write(ref _cursor, frame.Cursor);
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
        if (Volatile.Read(ref _cursor) == NotSynced || _closed.IsCancellationRequested)
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

        _ = Task.Delay(delayMs, _closed.Token).ContinueWith(
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
        try
        {
            await _gate.WaitAsync(_closed.Token).ConfigureAwait(false);
            try
            {
                Volatile.Write(ref _pumpScheduled, 0);

                // No hold here while answers are due (unlike a ring): a device that pushes without
                // pause would then get changes only inside its answers, which grow with every
                // pipelined push (measured: fan-out p99 6.7 -> 28 ms). A pump racing an answer may
                // echo the device's own write; that is harmless.
                while (!_closed.IsCancellationRequested)
                {
                    // No read for a queue that could not take its result.
                    if (LiveQueueFull())
                    {
                        DeferLive();
                        break;
                    }

                    // The space has been served its budget of reads: catch up once the refill allows.
                    if (_service.IsPullBudgetSpent(Space, out var retryAfterMs))
                    {
                        SchedulePumpAfter(retryAfterMs);
                        break;
                    }

                    var live = await _service.GetLiveFrameAsync(Space, _cursor, _closed.Token).ConfigureAwait(false);
                    if (live is null || HistoryChanged(live.Frame))
                    {
                        break;
                    }

                    if (!EnqueueLive(live.Frame))
                    {
                        break;
                    }

                    Volatile.Write(ref _cursor, live.Cursor);
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
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            // The session ended; the device resumes from its last_ack when it returns.
        }
        catch (Exception ex)
        {
            // A failed read leaves the cursor where it was: the next ring (or push) retries from there.
            Log.LivePushFailed(_logger, Space, DeviceId, ex);
        }
    }

    /// <summary>
    /// Completes once every frame queued so far has been written. Called inside the gate (nothing
    /// can be queued meanwhile) by transports that write their answers outside the queue.
    /// </summary>
    public Task WhenQueueSentAsync()
    {
        if (Volatile.Read(ref _unsent) == 0)
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _sentWaiter, waiter);
        return Volatile.Read(ref _unsent) == 0 ? Task.CompletedTask : waiter.Task;
    }

    /// <summary>
    /// Queues a live push unless live pushes already fill half the queue. Then it sends nothing: the
    /// changes stay in the log, and the write loop schedules one pump for all of them once the
    /// device has read the queue down to a quarter.
    /// </summary>
    private bool EnqueueLive(OutboundFrame frame)
    {
        if (!LiveQueueFull())
        {
            Interlocked.Increment(ref _unsent);
            if (_outbound.Writer.TryWrite(frame))
            {
                return true;
            }

            // Answers took the rest of the queue meanwhile, or the connection is closing.
            Interlocked.Decrement(ref _unsent);
        }

        DeferLive();
        return false;
    }

    private bool LiveQueueFull() => Volatile.Read(ref _unsent) >= _liveHighWater;

    private void DeferLive()
    {
        // A full fence between the flag and the read of the queue length, paired with the write loop's
        // decrement then read of the flag: one side or the other sees the queue drained.
        Interlocked.Exchange(ref _liveDeferred, 1);

        // The write loop may have drained the queue between the check and the flag: then it did not
        // see the flag, and the pump is this side's to schedule.
        if (Volatile.Read(ref _unsent) <= _liveLowWater && Interlocked.Exchange(ref _liveDeferred, 0) == 1)
        {
            SchedulePump();
        }
    }

    private void OnQueueSent(int unsent)
    {
        Volatile.Write(ref _lastSentAt, Environment.TickCount64);
        if (unsent <= _liveLowWater && Volatile.Read(ref _liveDeferred) == 1 && Interlocked.Exchange(ref _liveDeferred, 0) == 1)
        {
            SchedulePump();
        }
    }

    private void ArmStallTimer()
    {
        if (Interlocked.Exchange(ref _stallTimerArmed, 1) == 1)
        {
            return;
        }

        var timer = Volatile.Read(ref _stallTimer);
        if (timer is null)
        {
            timer = new Timer(static state => ((DeviceSession)state!).OnStallTimer(), this, Timeout.Infinite, Timeout.Infinite);
            timer = Interlocked.CompareExchange(ref _stallTimer, timer, null) ?? timer;
        }

        ChangeStallTimer(timer, _sendStallMs);
    }

    private static void ChangeStallTimer(Timer timer, long dueMs)
    {
        try
        {
            timer.Change(dueMs, Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // The session ended meanwhile; there is nothing left to watch.
        }
    }

    /// <summary>
    /// Fires <see cref="LimitsOptions.SendStallMs"/> after a send did not complete at once. A device
    /// that has frames waiting and completed no send in all that time has stopped reading: it is cut.
    /// One that still reads, however slowly, is checked again later.
    /// </summary>
    private void OnStallTimer()
    {
        Volatile.Write(ref _stallTimerArmed, 0);
        if (_closed.IsCancellationRequested || Volatile.Read(ref _unsent) == 0)
        {
            return;
        }

        var idleMs = Environment.TickCount64 - Volatile.Read(ref _lastSentAt);
        if (idleMs >= _sendStallMs)
        {
            Log.CutForStalling(_logger, Space, DeviceId, idleMs);
            _metrics.DeviceCut();
            Cut();
            return;
        }

        if (Interlocked.Exchange(ref _stallTimerArmed, 1) == 0 && _stallTimer is { } timer)
        {
            ChangeStallTimer(timer, _sendStallMs - idleMs);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(_closed.Token).ConfigureAwait(false))
            {
                var sending = _sink.SendAsync(frame, _closed.Token);
                if (!sending.IsCompleted)
                {
                    // The device is not taking data as fast as it comes: watch that it takes any at all.
                    ArmStallTimer();
                }

                await sending.ConfigureAwait(false);

                // Only live pushes built from a commit carry its time; answers and pumped pages do not.
                if (frame.CommittedAt != 0)
                {
                    _metrics.Delivered(frame.CommittedAt);
                }

                var unsent = Interlocked.Decrement(ref _unsent);
                if (unsent == 0)
                {
                    Volatile.Read(ref _sentWaiter)?.TrySetResult();
                }

                OnQueueSent(unsent);
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.SendFailed(_logger, Space, DeviceId, ex);
            Cut();
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
        Cut();
        return true;
    }

    private void Cut()
    {
        _outbound.Writer.TryComplete();
        _closed.Cancel();
        _stallTimer?.Dispose();
        _sink.Abort();
    }

    /// <summary>Completes once every frame queued so far has been written; no more frames may be queued after it.</summary>
    public Task FlushAsync()
    {
        Volatile.Write(ref _flushing, true);
        _subscription.Dispose();
        _outbound.Writer.TryComplete();
        return _writer;
    }

    /// <summary>Ends the session after the queued frames are written (or the connection fails).</summary>
    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        _outbound.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer stopped reading; do not wait for it.
        }

        // The gate and token source are not disposed: a pump may still be leaving the gate, and
        // neither holds an unmanaged resource once cancelled.
        await _closed.CancelAsync().ConfigureAwait(false);
        if (_stallTimer is { } timer)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
