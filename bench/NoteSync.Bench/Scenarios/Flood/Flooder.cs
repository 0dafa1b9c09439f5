using System.Net.WebSockets;
using System.Text.Json.Nodes;
using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// One device pushing tiny writes at a fixed rate on its own raw WebSocket, open loop, while a fan-out
/// runs: at 1,000 pushes/s it should get <c>rate_limited</c>, and the other devices' p99 stay unaffected.
/// It reads its answers only to count them: acks, and <c>rate_limited</c> errors.
/// </summary>
internal sealed class Flooder : IFloodDevice
{
    private readonly CancellationTokenSource _stop = new();
    private readonly double _perSecond;
    private FloodSocket? _socket;
    private Task? _send;
    private long _sent;
    private long _acked;
    private long _rateLimited;
    private long _otherErrors;
    private bool _connectedAtStop;
    private long _cursor;

    private Flooder(double perSecond)
    {
        _perSecond = perSecond;
    }

    /// <summary>Connects as <paramref name="deviceId"/> and starts pushing <paramref name="perSecond"/> writes a second.</summary>
    public static async Task<Flooder> StartAsync(Uri node, string deviceId, string? token, string keyPrefix, double perSecond, CancellationToken cancellationToken)
    {
        var flooder = new Flooder(perSecond);
        flooder._socket = await FloodSocket.ConnectAsync(node, deviceId, token, flooder.OnMessage, cancellationToken);
        flooder._send = Task.Run(() => flooder.SendLoopAsync(keyPrefix), CancellationToken.None);
        return flooder;
    }

    private async Task SendLoopAsync(string keyPrefix)
    {
        var start = Ticks.Now;
        try
        {
            for (long i = 0; !_stop.IsCancellationRequested; i++)
            {
                var due = start + Ticks.FromMs(i * 1000.0 / _perSecond);
                if (due > Ticks.Now)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Ticks.ToMs(due - Ticks.Now))), _stop.Token);
                }

                // With its cursor, as a real device sends it (without, every answer would carry the whole space).
                await _socket!.SendAsync($"{{\"type\":\"sync_push\",\"request_id\":\"f{i}\",\"last_ack\":{Interlocked.Read(ref _cursor)},\"changes\":[{{\"key\":\"{keyPrefix}{i % 1000}\",\"value\":\"x\",\"timestamp\":{i + 1}}}]}}");
                Interlocked.Increment(ref _sent);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Stopped, or the server cut the flooder (counted as its connection ending).
        }
    }

    private void OnMessage(FloodMessage message)
    {
        if (message.IsAck && message.AckTimestamp() is { } ack && ack > Interlocked.Read(ref _cursor))
        {
            Interlocked.Exchange(ref _cursor, ack);
        }

        // Only answers to the flooder's own pushes count; live pushes of the others' writes do not.
        if (!message.AnswersARequest)
        {
            return;
        }

        if (message.HasCode("rate_limited"))
        {
            Interlocked.Increment(ref _rateLimited);
        }
        else if (message.IsError)
        {
            Interlocked.Increment(ref _otherErrors);
        }
        else
        {
            Interlocked.Increment(ref _acked);
        }
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
        _connectedAtStop = _socket?.IsOpen ?? false;
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
        if (_socket is not null)
        {
            await _socket.DisposeAsync();
        }

        _stop.Dispose();
    }
}
