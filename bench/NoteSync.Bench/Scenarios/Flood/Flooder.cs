using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// One device pushing tiny writes at a fixed rate on its own raw WebSocket, open loop, while a fan-out
/// runs: at 1,000 pushes/s it should get <c>rate_limited</c>, and the other devices' p99 stay unaffected.
/// It reads its answers only to count them: acks, and <c>rate_limited</c> errors.
/// </summary>
internal sealed class Flooder : IFloodDevice
{
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _send;
    private Task? _receive;
    private long _sent;
    private long _acked;
    private long _rateLimited;
    private long _otherErrors;
    private bool _connectedAtStop;
    private long _cursor;

    private readonly double _perSecond;

    private Flooder(double perSecond)
    {
        _perSecond = perSecond;
    }

    /// <summary>Connects as <paramref name="deviceId"/> and starts pushing <paramref name="perSecond"/> writes a second.</summary>
    public static async Task<Flooder> StartAsync(Uri node, string deviceId, string? token, string keyPrefix, double perSecond, CancellationToken cancellationToken)
    {
        var flooder = new Flooder(perSecond);
        flooder._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await flooder._socket.ConnectAsync(DeviceConnector.SyncUri(node, deviceId, token), cancellationToken);
        flooder._receive = Task.Run(flooder.ReceiveLoopAsync, CancellationToken.None);
        flooder._send = Task.Run(() => flooder.SendLoopAsync(keyPrefix, perSecond), CancellationToken.None);
        return flooder;
    }

    private async Task SendLoopAsync(string keyPrefix, double perSecond)
    {
        var start = Ticks.Now;
        try
        {
            for (long i = 0; !_stop.IsCancellationRequested; i++)
            {
                var due = start + Ticks.FromMs(i * 1000.0 / perSecond);
                if (due > Ticks.Now)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Ticks.ToMs(due - Ticks.Now))), _stop.Token);
                }

                // With its cursor, as a real device sends it (without, every answer would carry the whole space).
                var frame = $"{{\"type\":\"sync_push\",\"request_id\":\"f{i}\",\"last_ack\":{Interlocked.Read(ref _cursor)},\"changes\":[{{\"key\":\"{keyPrefix}{i % 1000}\",\"value\":\"x\",\"timestamp\":{i + 1}}}]}}";
                // Not cancelled by the stop: cancelling a send aborts the WebSocket.
                await _socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);
                Interlocked.Increment(ref _sent);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Stopped, or the server cut the flooder (counted as its connection ending).
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                if (AckTimestamp(text) is { } ackTimestamp && ackTimestamp > Interlocked.Read(ref _cursor))
                {
                    Interlocked.Exchange(ref _cursor, ackTimestamp);
                }

                // Only answers to the flooder's own pushes count; live pushes of the others' writes do not.
                if (!text.Contains("\"request_id\":\"f", StringComparison.Ordinal))
                {
                    continue;
                }

                if (text.Contains("\"rate_limited\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _rateLimited);
                }
                else if (text.Contains("\"type\":\"error\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _otherErrors);
                }
                else
                {
                    Interlocked.Increment(ref _acked);
                }
            }
        }
        catch (WebSocketException)
        {
            // Closed under us.
        }
    }

    private static long? AckTimestamp(string frame)
    {
        const string field = "\"ack_timestamp\":";
        var at = frame.IndexOf(field, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        at += field.Length;
        var end = at;
        while (end < frame.Length && char.IsAsciiDigit(frame[end]))
        {
            end++;
        }

        return long.TryParse(frame.AsSpan(at, end - at), System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary>What the flooder did, for the run's record.</summary>
    public JsonObject ToJson() => new()
    {
        ["mode"] = "rate",
        ["rate"] = _perSecond,
        ["sent"] = Interlocked.Read(ref _sent),
        ["acked"] = Interlocked.Read(ref _acked),
        ["rate_limited"] = Interlocked.Read(ref _rateLimited),
        ["other_errors"] = Interlocked.Read(ref _otherErrors),
        ["connected_at_stop"] = _connectedAtStop,
    };

    public string Summary() =>
        $"{_perSecond}/s: sent {Interlocked.Read(ref _sent)}, acked {Interlocked.Read(ref _acked)}, rate_limited {Interlocked.Read(ref _rateLimited)} (connected at the end: {_connectedAtStop})";

    /// <summary>Stops sending (answers still arriving are counted until the socket closes).</summary>
    public async Task StopAsync()
    {
        _connectedAtStop = _socket.State == WebSocketState.Open;
        await _stop.CancelAsync();
        if (_send is not null)
        {
            await _send;
        }

        // Answers in flight come back within a moment.
        await Task.Delay(500);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
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
        }

        _socket.Dispose();
        if (_receive is not null)
        {
            await Task.WhenAny(_receive, Task.Delay(2000));
        }

        _stop.Dispose();
    }
}
