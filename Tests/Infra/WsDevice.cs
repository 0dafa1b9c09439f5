using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Infra;

/// <summary>A raw-WebSocket device on <c>/ws/sync</c>, through <see cref="ClientWebSocket"/>.</summary>
internal sealed class WsDevice : TestDevice
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<object>> _pending = new();
    private readonly Channel<ErrorFrame> _unansweredErrors = Channel.CreateUnbounded<ErrorFrame>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiver;

    private WsDevice(string deviceId)
        : base(deviceId)
    {
    }

    /// <summary>Pull again on an ack with <c>more</c>, as docs/protocol.md §3.3 allows. The default is true.</summary>
    public bool FollowMore { get; init; } = true;

    /// <summary>The bytes of every message received so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>The largest message received so far, in bytes.</summary>
    public long LargestMessageBytes => Interlocked.Read(ref _largestMessageBytes);

    private long _bytesReceived;
    private long _largestMessageBytes;

    /// <summary>Completes with the close status when the server closes or drops the connection.</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <summary>
    /// Connects as <paramref name="deviceId"/>; with a <paramref name="token"/>, sent as the
    /// <c>access_token</c> query parameter (as a browser must) or, with <paramref name="tokenInHeader"/>, as a bearer header.
    /// </summary>
    public static async Task<WsDevice> ConnectAsync(ITestServer server, string deviceId, bool followMore = true, string? token = null, bool tokenInHeader = false)
    {
        var device = new WsDevice(deviceId) { FollowMore = followMore };
        device._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var query = $"device_id={Uri.EscapeDataString(deviceId)}";
        if (token is not null && tokenInHeader)
        {
            device._socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }
        else if (token is not null)
        {
            query += $"&access_token={Uri.EscapeDataString(token)}";
        }

        var uri = new Uri($"ws://127.0.0.1:{server.Port}/ws/sync?{query}");
        await device._socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(DefaultTimeout);
        device._receiver = Task.Run(device.ReceiveLoopAsync);
        return device;
    }

    protected override async Task<SyncAck> SendPushAsync(SyncPush push, CancellationToken cancellationToken)
    {
        var answer = await SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!);
        return answer as SyncAck ?? throw new InvalidOperationException($"push {push.RequestId} was refused: {((ErrorFrame)answer).Code}: {((ErrorFrame)answer).Message}");
    }

    /// <summary>Sends <paramref name="text"/> and returns the frame answering <paramref name="requestId"/> (an ack, an error, or a history answer).</summary>
    public async Task<object> SendAndWaitAsync(string text, string requestId)
    {
        var answer = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = answer;
        await SendTextAsync(text);
        return await answer.Task.WaitAsync(DefaultTimeout);
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type, bool endOfMessage = true)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, type, endOfMessage, CancellationToken.None).AsTask().WaitAsync(DefaultTimeout);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next error frame that answered no pending request (e.g. a frame without request_id).</summary>
    public Task<ErrorFrame> NextUnansweredErrorAsync() => _unansweredErrors.Reader.ReadAsync().AsTask().WaitAsync(DefaultTimeout);

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(result.CloseStatus);
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    Interlocked.Add(ref _bytesReceived, message.Length);
                    if (message.Length > Interlocked.Read(ref _largestMessageBytes))
                    {
                        Interlocked.Exchange(ref _largestMessageBytes, message.Length);
                    }

                    OnFrame(message.ToArray());
                    message.SetLength(0);
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (WebSocketException)
        {
            _closed.TrySetResult(_socket.CloseStatus);
        }
        finally
        {
            _closed.TrySetResult(_socket.CloseStatus);
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new WebSocketException("the connection closed"));
            }
        }
    }

    private void OnFrame(byte[] utf8)
    {
        using var doc = JsonDocument.Parse(utf8);
        var type = doc.RootElement.GetProperty("type").GetString();
        if (type == FrameTypes.SyncAck)
        {
            var ack = doc.RootElement.Deserialize(NoteSyncJsonContext.Default.SyncAck)!;
            Apply(ack);
            if (ack.RequestId is { } id && _pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetResult(ack);
            }

            if (ack.More && FollowMore)
            {
                _ = SendTextAsync(JsonSerializer.Serialize(new SyncPush { LastAck = ack.AckTimestamp, RequestId = NextRequestId() }, NoteSyncJsonContext.Default.SyncPush));
            }
        }
        else if (type == FrameTypes.Error)
        {
            var error = doc.RootElement.Deserialize(NoteSyncJsonContext.Default.ErrorFrame)!;
            if (error.RequestId is { } id && _pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetResult(error);
            }
            else
            {
                _unansweredErrors.Writer.TryWrite(error);
            }
        }
        else if (type is FrameTypes.History or FrameTypes.Version or FrameTypes.Trash or FrameTypes.Merge)
        {
            object answer = type == FrameTypes.History ? doc.RootElement.Deserialize(NoteSyncJsonContext.Default.NoteHistory)!
                : type == FrameTypes.Version ? doc.RootElement.Deserialize(NoteSyncJsonContext.Default.NoteVersion)!
                : type == FrameTypes.Merge ? doc.RootElement.Deserialize(NoteSyncJsonContext.Default.MergeSuggestion)!
                : doc.RootElement.Deserialize(NoteSyncJsonContext.Default.TrashList)!;
            if (doc.RootElement.TryGetProperty("request_id", out var rid) && rid.GetString() is { } id && _pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetResult(answer);
            }
        }
        else
        {
            throw new InvalidOperationException($"unexpected frame type '{type}'");
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                // CloseOutputAsync, not CloseAsync: CloseAsync would read frames itself, racing the
                // receive loop for them; the loop sees the server's close frame and ends.
                await _sendLock.WaitAsync();
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
                }
                finally
                {
                    _sendLock.Release();
                }

                if (_receiver is not null)
                {
                    await _receiver.WaitAsync(TimeSpan.FromSeconds(2));
                }
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
            {
                // The server is gone or stopped answering; the socket is aborted below.
            }
        }

        await _stop.CancelAsync();
        _socket.Abort();
        if (_receiver is not null)
        {
            await _receiver.WaitAsync(TimeSpan.FromSeconds(5));
        }

        _socket.Dispose();
        _stop.Dispose();
    }
}
