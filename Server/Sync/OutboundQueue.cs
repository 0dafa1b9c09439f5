using System.Threading.Channels;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;

namespace NoteSync.Server.Sync;

/// <summary>
/// One connection's outgoing frames, written to its <see cref="IFrameSink"/> by one write loop in the
/// order they were queued. The queue is bounded (<see cref="LimitsOptions.SendQueueFrames"/>).
/// Answers wait for room, which stops the transport reading the device's frames; live pushes may fill
/// only half of it (the high water mark). A live push refused there is not lost: the changes stay in
/// the log, and once the device has read the queue down to a quarter (the low water mark) the queue
/// calls its owner back once, so that one pump sends everything since the device's cursor in one
/// frame. A device that reads slowly thus gets fewer, larger frames instead of being cut. A device
/// that completes no send for <see cref="LimitsOptions.SendStallMs"/> while frames wait has stopped
/// reading: it is cut rather than allowed to hold memory.
/// </summary>
internal sealed partial class OutboundQueue : IAnswerTarget, IAsyncDisposable
{
    private static readonly TimeSpan DisposeWriteBound = TimeSpan.FromSeconds(5);

    private readonly IFrameSink _sink;
    private readonly NoteSyncMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _space;
    private readonly string _deviceId;
    private readonly Action _onLiveRoom;
    private readonly Channel<OutboundFrame> _frames;
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _writer;
    private readonly int _liveHighWater;
    private readonly int _liveLowWater;
    private readonly int _sendStallMs;
    private Timer? _stallTimer;
    private int _stallTimerArmed;
    private long _lastSentAt = Environment.TickCount64;
    private int _liveDeferred;
    private int _unsent;
    private TaskCompletionSource? _sentWaiter;

    /// <param name="sink">The connection.</param>
    /// <param name="limits">The queue's size and the stall bound.</param>
    /// <param name="metrics">Where delivery latency and cut devices are counted.</param>
    /// <param name="logger">Where a cut or a failed send is logged, as the device's.</param>
    /// <param name="space">The device's space, for the log.</param>
    /// <param name="deviceId">The device, for the log.</param>
    /// <param name="onLiveRoom">Called (from the write loop, or the caller of <see cref="HasLiveRoom"/>) once live pushes refused at the high water mark fit again; must return quickly.</param>
    public OutboundQueue(IFrameSink sink, LimitsOptions limits, NoteSyncMetrics metrics, ILogger logger, string space, string deviceId, Action onLiveRoom)
    {
        var capacity = limits.SendQueueFrames;
        _liveHighWater = Math.Max(1, capacity / 2);
        _liveLowWater = _liveHighWater / 2;
        _sendStallMs = limits.SendStallMs;
        _sink = sink;
        _metrics = metrics;
        _logger = logger;
        _space = space;
        _deviceId = deviceId;
        _onLiveRoom = onLiveRoom;
        _frames = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,

            // The write loop runs on the thread that queues the frame: a live push is written to every
            // device of the space from the ring's thread, without a thread-pool hop per device.
            AllowSynchronousContinuations = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Cancelled when the queue is cut (a stall, a failed send, or its owner's <see cref="Cut"/>) or disposed.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Frames queued and not yet written.</summary>
    public int Unsent => Volatile.Read(ref _unsent);

    /// <summary>
    /// Queues an answer, waiting for room when the queue is full. A device that pushes faster than it
    /// reads its answers is slowed, not cut: the wait holds the push's in-flight slot, so the transport
    /// soon stops reading its frames. One that stops reading altogether is cut by the stall timer.
    /// </summary>
    public ValueTask DeliverAsync(PushResult result) =>
        EnqueueAsync(result.Ack is { } ack ? OutboundFrame.Of(ack) : OutboundFrame.Of(result.Error!));

    /// <inheritdoc cref="DeliverAsync"/>
    public async ValueTask EnqueueAsync(OutboundFrame frame)
    {
        Interlocked.Increment(ref _unsent);
        if (_frames.Writer.TryWrite(frame))
        {
            return;
        }

        try
        {
            await _frames.Writer.WriteAsync(frame, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Closing: the device re-sends what it did not see acknowledged.
            SentOrDropped();
        }
    }

    /// <summary>True while live pushes wait for the queue to drain (<c>onLiveRoom</c> has yet to be called).</summary>
    public bool IsLiveDeferred => Volatile.Read(ref _liveDeferred) == 1;

    /// <summary>
    /// Whether a live push may be queued now. When not (live pushes fill half the queue), the queue
    /// remembers that one is waiting and calls <c>onLiveRoom</c> once it has drained to a quarter.
    /// </summary>
    public bool HasLiveRoom()
    {
        if (Volatile.Read(ref _unsent) < _liveHighWater)
        {
            return true;
        }

        DeferLive();
        return false;
    }

    /// <summary>Queues a live push if <see cref="HasLiveRoom"/>; false (and the push deferred as there) when not.</summary>
    public bool TryEnqueueLive(OutboundFrame frame)
    {
        if (Volatile.Read(ref _unsent) < _liveHighWater)
        {
            Interlocked.Increment(ref _unsent);
            if (_frames.Writer.TryWrite(frame))
            {
                return true;
            }

            // Answers took the rest of the queue meanwhile, or the connection is closing.
            SentOrDropped();
        }

        DeferLive();
        return false;
    }

    /// <summary>
    /// Completes once every frame queued so far has been written. One waiter at a time: the caller
    /// must keep anything from being queued meanwhile (the session's gate does).
    /// </summary>
    public Task WhenSentAsync()
    {
        if (Volatile.Read(ref _unsent) == 0)
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A full fence between publishing the waiter and reading the count, paired with the write loop's
        // decrement then read of the waiter: one side or the other sees the queue empty.
        Interlocked.Exchange(ref _sentWaiter, waiter);
        return Volatile.Read(ref _unsent) == 0 ? Task.CompletedTask : waiter.Task;
    }

    /// <summary>Completes once every frame queued so far has been written; nothing may be queued after it.</summary>
    public Task CompleteAsync()
    {
        _frames.Writer.TryComplete();
        return _writer;
    }

    /// <summary>Drops the connection at once: nothing more is written; the device catches up by <c>last_ack</c> when it returns.</summary>
    public void Cut()
    {
        _frames.Writer.TryComplete();
        _closed.Cancel();
        _stallTimer?.Dispose();
        _sink.Abort();
    }

    /// <summary>Writes what is queued (giving the device a few seconds), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _frames.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(DisposeWriteBound).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer stopped reading; do not wait for it.
        }

        // The token source is not disposed: its owner may still read Closed, and it holds no
        // unmanaged resource once cancelled.
        await _closed.CancelAsync().ConfigureAwait(false);
        if (_stallTimer is { } timer)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void DeferLive()
    {
        // A full fence between the flag and the read of the count, paired with the write loop's
        // decrement then read of the flag: one side or the other sees the queue drained.
        Interlocked.Exchange(ref _liveDeferred, 1);

        // The write loop may have drained the queue between the caller's check and the flag: then it
        // did not see the flag, and the call back is this side's to make.
        if (Volatile.Read(ref _unsent) <= _liveLowWater && Interlocked.Exchange(ref _liveDeferred, 0) == 1)
        {
            _onLiveRoom();
        }
    }

    private int SentOrDropped()
    {
        var unsent = Interlocked.Decrement(ref _unsent);
        if (unsent == 0)
        {
            Volatile.Read(ref _sentWaiter)?.TrySetResult();
        }

        return unsent;
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _frames.Reader.ReadAllAsync(_closed.Token).ConfigureAwait(false))
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

                Volatile.Write(ref _lastSentAt, Environment.TickCount64);
                var unsent = SentOrDropped();
                if (unsent <= _liveLowWater && Volatile.Read(ref _liveDeferred) == 1 && Interlocked.Exchange(ref _liveDeferred, 0) == 1)
                {
                    _onLiveRoom();
                }
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.SendFailed(_logger, _space, _deviceId, ex);
            Cut();
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
            timer = new Timer(static state => ((OutboundQueue)state!).OnStallTimer(), this, Timeout.Infinite, Timeout.Infinite);
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
            // The queue was cut or disposed meanwhile; there is nothing left to watch.
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
            Log.CutForStalling(_logger, _space, _deviceId, idleMs);
            _metrics.DeviceCut();
            Cut();
            return;
        }

        if (Interlocked.Exchange(ref _stallTimerArmed, 1) == 0 && _stallTimer is { } timer)
        {
            ChangeStallTimer(timer, _sendStallMs - idleMs);
        }
    }

    // Event ids 300-319 belong to the device sessions and their queues. Names are public once shipped.
    private static partial class Log
    {
        [LoggerMessage(EventId = 304, EventName = "CutForStalling", Level = LogLevel.Warning,
            Message = "Disconnected device {DeviceId} of space {Space}: it read nothing for {IdleMs} ms while frames waited (it stopped reading)")]
        public static partial void CutForStalling(ILogger logger, string space, string deviceId, long idleMs);

        [LoggerMessage(EventId = 302, EventName = "SendFailed", Level = LogLevel.Debug,
            Message = "Sending to device {DeviceId} of space {Space} failed; the connection is closed")]
        public static partial void SendFailed(ILogger logger, string space, string deviceId, Exception exception);
    }
}
