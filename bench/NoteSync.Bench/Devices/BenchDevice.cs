using System.Net.WebSockets;
using System.Threading.Channels;
using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Devices;

/// <summary>
/// One simulated device on its own raw WebSocket (docs/protocol.md §4). Keeps its cursor (max
/// <c>ack_timestamp</c> seen) and Lamport clock (max of itself, every ack and every change), sends
/// pushes from an outbox through a single send loop (a WebSocket allows one send at a time, and an
/// open-loop scheduler must never wait for one), and follows <c>more</c> by pulling again.
/// </summary>
internal sealed class BenchDevice : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<PushRequest> _outbox = Channel.CreateUnbounded<PushRequest>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Lock _lock = new();
    private readonly Dictionary<long, PushRequest> _pending = [];
    private readonly Dictionary<long, long> _sentAt = [];
    private readonly ServerFrameReader _frameReader;
    private readonly ReceivedFrame _frame = new();
    private readonly IDeviceObserver _observer;
    private readonly string _writeKeyPrefix;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _life = new();
    private Task _sendLoop = Task.CompletedTask;
    private Task _receiveLoop = Task.CompletedTask;
    private long _clock;
    private long _cursor;
    private long _nextRequestId;
    private int _pullsInFlight;
    private long _initialRequestId = -1;
    private volatile bool _closing;

    public BenchDevice(int index, string deviceId, string runKeyPrefix, string writeKeyPrefix, IDeviceObserver observer)
    {
        Index = index;
        DeviceId = deviceId;
        _writeKeyPrefix = writeKeyPrefix;
        _observer = observer;
        _frameReader = new ServerFrameReader(deviceId, runKeyPrefix);
        // Native clients send no keep-alive pings; an idle-connection figure must not include them.
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    public int Index { get; }

    /// <summary>Which server node (index into the bench's URLs) the device connects to; 0 with one node.</summary>
    public int Node { get; init; }

    public string DeviceId { get; }

    public long Cursor => Interlocked.Read(ref _cursor);

    /// <summary>push -> its sync_ack, for measured writes only (pulls and warm-up excluded), in ms.</summary>
    public LatencySamples AckLatency { get; } = new();

    /// <summary>actual send - scheduled send, for measured scheduled writes, in ms.</summary>
    public LatencySamples SendLag { get; } = new();

    public long FramesReceived { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>This device's own writes coming back to it (e.g. in a later ack); not deliveries.</summary>
    public long OwnEchoes { get; private set; }

    /// <summary>Changes to keys outside this run's prefix (other runs' notes in the one shared space).</summary>
    public long ForeignChanges { get; private set; }

    public long ErrorFrames { get; private set; }

    public long UnreadableFrames { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Set when the receive loop ended for any reason other than this device closing.</summary>
    public string? Failure { get; private set; }

    /// <summary>Completes when the initial pull is answered (the "handshake").</summary>
    public Task Ready => _ready.Task;

    /// <summary>Completes when a pull is answered without <c>more</c>: the device holds the whole space as of then.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Connects and sends the initial pull; does not wait for its answer (see <see cref="Ready"/>).</summary>
    public async Task ConnectAsync(Uri uri, HttpMessageInvoker invoker, long initialLastAck, CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(uri, invoker, cancellationToken);
        _sendLoop = SendLoopAsync(_life.Token);
        _receiveLoop = ReceiveLoopAsync(_life.Token);
        Enqueue(PushRequest.Pull(initialLastAck));
    }

    public void Enqueue(PushRequest request)
    {
        if (request.IsPull)
        {
            Interlocked.Increment(ref _pullsInFlight);
        }

        if (!_outbox.Writer.TryWrite(request))
        {
            request.Completion?.TrySetException(new InvalidOperationException($"{DeviceId} is closed"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        // Let queued pushes go out first: a WebSocket refuses a close while a send is in progress.
        _outbox.Writer.TryComplete();
        await _sendLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                // A clean close handshake, so the server sees a normal disconnect and not a reset.
                await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The server may already be gone; closing is best effort.
        }

        await _life.CancelAsync();
        _socket.Abort();
        await Task.WhenAll(_sendLoop, _receiveLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _life.Dispose();
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        using var writer = new PushFrameWriter(DeviceId, _writeKeyPrefix);
        try
        {
            await foreach (var request in _outbox.Reader.ReadAllAsync(cancellationToken))
            {
                long requestId, firstTimestamp, lastAck;
                lock (_lock)
                {
                    requestId = ++_nextRequestId;
                    firstTimestamp = _clock + 1;
                    _clock += request.Writes.Length + request.Texts.Length;
                    // Under the lock its answer is taken with, so whoever awaits the answer sees it.
                    request.FirstTimestamp = firstTimestamp;
                    lastAck = request.LastAck ?? _cursor;
                    _pending[requestId] = request;
                    if (_initialRequestId < 0)
                    {
                        _initialRequestId = requestId;
                    }
                }

                var frame = writer.Write(request, firstTimestamp, lastAck, requestId);
                var now = Ticks.Now;
                if (request.Measured)
                {
                    lock (_lock)
                    {
                        _sentAt[requestId] = now;
                    }
                }

                foreach (var write in request.Writes)
                {
                    _observer.OnSent(write.WriteIndex, now);
                }

                foreach (var text in request.Texts)
                {
                    if (text.Tag >= 0)
                    {
                        _observer.OnTextSent(text.Tag, now);
                    }
                }

                if (request.Measured && request.ScheduledTicks != 0)
                {
                    SendLag.AddTicks(now - request.ScheduledTicks);
                }

                await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            Failure ??= _life.IsCancellationRequested ? null : $"send: {e.Message}";
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Failure ??= _closing ? null : $"server closed: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    break;
                }

                length += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                // A frame "arrives" when its last byte does, as a browser's onmessage would see it.
                HandleFrame(buffer.AsSpan(0, length), Ticks.Now);
                length = 0;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            if (!_life.IsCancellationRequested)
            {
                Failure ??= $"receive: {e.Message}";
            }
        }

        FailWaiters(new InvalidOperationException($"{DeviceId}: connection ended ({Failure ?? "closed"})"));
    }

    private void HandleFrame(ReadOnlySpan<byte> utf8, long arrival)
    {
        FramesReceived++;
        BytesReceived += utf8.Length;
        var frame = _frame;
        if (!_frameReader.TryRead(utf8, frame))
        {
            UnreadableFrames++;
            return;
        }

        if (frame.Kind == FrameKind.Error)
        {
            ErrorFrames++;
            LastError = $"{frame.ErrorCode}: {frame.ErrorMessage}";
            if (frame.RequestId is { } failedId && TakePending(failedId, arrival) is { } failed)
            {
                if (failed.IsPull)
                {
                    Interlocked.Decrement(ref _pullsInFlight);
                }

                var error = new InvalidOperationException($"{DeviceId}: error frame {LastError}");
                failed.Completion?.TrySetException(error);
                if (failedId == Interlocked.Read(ref _initialRequestId))
                {
                    _ready.TrySetException(error);
                    _synced.TrySetException(error);
                }
            }

            return;
        }

        if (frame.Kind != FrameKind.SyncAck)
        {
            UnreadableFrames++;
            return;
        }

        var ack = frame.AckTimestamp ?? 0;
        lock (_lock)
        {
            _cursor = Math.Max(_cursor, ack);
            _clock = Math.Max(_clock, Math.Max(ack, frame.MaxChangeTimestamp));
        }

        foreach (var change in frame.Changes)
        {
            if (change.Own)
            {
                OwnEchoes++;
            }
            else if (!change.InRun)
            {
                ForeignChanges++;
            }
            else if (change.Text is not null)
            {
                _observer.OnText(this, change, arrival);
            }
            else
            {
                _observer.OnChange(this, change.WriteIndex, arrival);
            }
        }

        PushRequest? answered = null;
        var wasInitial = false;
        if (frame.RequestId is { } requestId)
        {
            answered = TakePending(requestId, arrival);
            wasInitial = requestId == Interlocked.Read(ref _initialRequestId);
        }

        var pullsLeft = answered is { IsPull: true } ? Interlocked.Decrement(ref _pullsInFlight) : Volatile.Read(ref _pullsInFlight);
        answered?.Completion?.TrySetResult(ack);
        if (wasInitial)
        {
            _ready.TrySetResult();
        }

        if (frame.More)
        {
            // Pull the rest from this frame's ack_timestamp (the seq of its last change), not from the
            // max cursor: a live frame seen meanwhile must not let the device skip a page. A live frame
            // with `more` only triggers a pull when none is on its way, to avoid a pull per frame.
            if (answered is not null || pullsLeft == 0)
            {
                Enqueue(PushRequest.Pull(ack));
            }
        }
        else if (answered is { IsPull: true } && pullsLeft == 0)
        {
            _synced.TrySetResult();
        }
    }

    private PushRequest? TakePending(long requestId, long arrival)
    {
        lock (_lock)
        {
            if (!_pending.Remove(requestId, out var request))
            {
                return null;
            }

            if (_sentAt.Remove(requestId, out var sentAt))
            {
                AckLatency.AddTicks(arrival - sentAt);
            }

            return request;
        }
    }

    private void FailWaiters(Exception reason)
    {
        _ready.TrySetException(reason);
        _synced.TrySetException(reason);
        List<PushRequest> orphans;
        lock (_lock)
        {
            orphans = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var request in orphans)
        {
            request.Completion?.TrySetException(reason);
        }
    }
}
