using System.Net.WebSockets;
using System.Text;
using NoteSync.Bench.Devices;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// The raw WebSocket of a flooding device or of a listener in its space: sends frames, counts every
/// byte the server sends, and hands each received message to a callback as its head and tail only
/// (the fields a flooder reads sit at either end of a frame; decoding 8 MiB pages whole would spend
/// the bench's core on text nobody reads).
/// </summary>
internal sealed class FloodSocket : IAsyncDisposable
{
    private const int EdgeBytes = 256;
    private readonly ClientWebSocket _socket = new();
    private readonly Action<FloodMessage>? _onMessage;
    private Task? _receive;
    private long _bytesReceived;
    private long _bytesSent;

    private FloodSocket(Action<FloodMessage>? onMessage)
    {
        _onMessage = onMessage;
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Connects <paramref name="deviceId"/>; <paramref name="onMessage"/> (may be null: count only) runs on the receive loop.</summary>
    public static async Task<FloodSocket> ConnectAsync(Uri node, string deviceId, string? token, Action<FloodMessage>? onMessage, CancellationToken cancellationToken)
    {
        var socket = new FloodSocket(onMessage);
        socket._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket._socket.ConnectAsync(DeviceConnector.SyncUri(node, deviceId, token), cancellationToken);
        socket._receive = Task.Run(socket.ReceiveLoopAsync, CancellationToken.None);
        return socket;
    }

    /// <summary>Sends one text frame. Not cancellable: cancelling a send aborts the WebSocket.</summary>
    public async Task SendAsync(string frame)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
        Interlocked.Add(ref _bytesSent, bytes.Length);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var head = new byte[EdgeBytes];
        var tail = new byte[EdgeBytes];
        var headLength = 0;
        var tailLength = 0;
        var length = 0L;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                Interlocked.Add(ref _bytesReceived, result.Count);
                if (_onMessage is null)
                {
                    continue;
                }

                var chunk = buffer.AsSpan(0, result.Count);
                var toHead = Math.Min(EdgeBytes - headLength, chunk.Length);
                chunk[..toHead].CopyTo(head.AsSpan(headLength));
                headLength += toHead;
                KeepTail(tail, ref tailLength, chunk);
                length += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                _onMessage(new FloodMessage(Encoding.UTF8.GetString(head, 0, headLength), Encoding.UTF8.GetString(tail, 0, tailLength), length));
                headLength = 0;
                tailLength = 0;
                length = 0;
            }
        }
        catch (WebSocketException)
        {
            // Closed under us: IsOpen says so.
        }
    }

    private static void KeepTail(byte[] tail, ref int tailLength, ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length >= EdgeBytes)
        {
            chunk[^EdgeBytes..].CopyTo(tail);
            tailLength = EdgeBytes;
            return;
        }

        var keep = Math.Min(tailLength, EdgeBytes - chunk.Length);
        tail.AsSpan(tailLength - keep, keep).CopyTo(tail);
        chunk.CopyTo(tail.AsSpan(keep));
        tailLength = keep + chunk.Length;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, close.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Gone already; nothing to close.
        }

        _socket.Dispose();
        if (_receive is not null)
        {
            await Task.WhenAny(_receive, Task.Delay(2000));
        }
    }
}
