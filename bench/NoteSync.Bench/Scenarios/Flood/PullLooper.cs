using System.Text;
using System.Text.Json.Nodes;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// The pull loop: a device that fills its space with notes, then pulls the whole space from 0 again
/// and again, as fast as the server serves it, ignoring <c>retry_after_ms</c> as an attacker would.
/// A pull is whole when a page without <c>more</c> has been answered; a refusal is counted, and the
/// looper asks again at once.
/// </summary>
internal sealed class PullLooper : IFloodDevice
{
    private const int FillBatch = 1_000;
    private static readonly TimeSpan PullTimeout = TimeSpan.FromSeconds(60);
    private readonly CancellationTokenSource _stop = new();
    private FloodSocket? _socket;
    private Task? _loop;
    private TaskCompletionSource<FloodMessage>? _answer;
    private string _awaited = "";
    private long _cursor;
    private long _pulls;
    private long _fullPulls;
    private long _pages;
    private long _rateLimited;
    private long _otherErrors;
    private long _notes;
    private long _receivedAtStart;
    private bool _connectedAtStop;

    /// <summary>Connects, writes <paramref name="notes"/> notes of <paramref name="noteBytes"/> under <paramref name="keyPrefix"/>, then starts pulling.</summary>
    public static async Task<PullLooper> StartAsync(Uri node, string deviceId, string? token, string keyPrefix, int notes, int noteBytes, CancellationToken cancellationToken)
    {
        var looper = new PullLooper();
        looper._socket = await FloodSocket.ConnectAsync(node, deviceId, token, looper.OnMessage, cancellationToken);
        await looper.FillAsync(keyPrefix, notes, noteBytes, cancellationToken);
        looper._receivedAtStart = looper._socket.BytesReceived;
        looper._loop = Task.Run(looper.LoopAsync, CancellationToken.None);
        return looper;
    }

    private async Task FillAsync(string keyPrefix, int notes, int noteBytes, CancellationToken cancellationToken)
    {
        var value = new string('y', noteBytes);
        for (var first = 0; first < notes; first += FillBatch)
        {
            var frame = new StringBuilder($"{{\"type\":\"sync_push\",\"request_id\":\"s{first}\",\"last_ack\":{Interlocked.Read(ref _cursor)},\"changes\":[");
            for (var n = first; n < Math.Min(notes, first + FillBatch); n++)
            {
                frame.Append(n == first ? "" : ",").Append($"{{\"key\":\"{keyPrefix}{n:D7}\",\"value\":\"{value}\",\"timestamp\":1}}");
            }

            // The fill is set-up, not the flood: it waits out its space's budget as a device should
            // (a small PullBytesPerSecond refuses it, since its answers reach back before it went live).
            var push = frame.Append("]}").ToString();
            var answer = await RequestAsync($"s{first}", push, cancellationToken);
            for (var retry = 0; answer.IsError && answer.HasCode("rate_limited") && retry < 600; retry++)
            {
                await Task.Delay(100, cancellationToken);
                answer = await RequestAsync($"s{first}", push, cancellationToken);
            }

            if (answer.IsError)
            {
                throw new InvalidOperationException($"the pull flooder could not fill its space: {answer.Head}{answer.Tail}");
            }

            Interlocked.Add(ref _notes, Math.Min(FillBatch, notes - first));
        }
    }

    private async Task<FloodMessage> RequestAsync(string id, string frame, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<FloodMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _answer, answer);
        Volatile.Write(ref _awaited, id);
        await _socket!.SendAsync(frame);
        return await answer.Task.WaitAsync(PullTimeout, cancellationToken);
    }

    private void OnMessage(FloodMessage message)
    {
        if (message.IsAck && !message.HasMore && message.AckTimestamp() is { } ack && ack > Interlocked.Read(ref _cursor))
        {
            Interlocked.Exchange(ref _cursor, ack);
        }

        if (message.Answers(Volatile.Read(ref _awaited)))
        {
            Volatile.Read(ref _answer)?.TrySetResult(message);
        }
    }

    private async Task LoopAsync()
    {
        var socket = _socket!;
        try
        {
            // A pull from 0 on a connection already at the head gets its first page only: the server
            // sends further pages from the connection's cursor (docs/protocol.md "Paging and more"), so
            // the looper pulls each page itself, from the last page's ack_timestamp, as a client must.
            var from = 0L;
            for (long i = 0; !_stop.IsCancellationRequested && socket.IsOpen; i++)
            {
                var id = $"p{i}";
                var answer = await RequestAsync(id, $"{{\"type\":\"sync_push\",\"request_id\":\"{id}\",\"last_ack\":{from},\"changes\":[]}}", _stop.Token);
                Interlocked.Increment(ref _pulls);
                if (answer.IsError)
                {
                    Interlocked.Increment(ref answer.HasCode("rate_limited") ? ref _rateLimited : ref _otherErrors);
                    continue;
                }

                Interlocked.Increment(ref _pages);
                if (answer.HasMore && answer.AckTimestamp() is { } next)
                {
                    from = next;
                }
                else
                {
                    Interlocked.Increment(ref _fullPulls);
                    from = 0;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            // Stopped, no answer in time, or cut: the counts say which.
        }
    }

    public async Task StopAsync()
    {
        _connectedAtStop = _socket?.IsOpen ?? false;
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    private double ServedMb => ((_socket?.BytesReceived ?? 0) - _receivedAtStart) / 1_048_576.0;

    public JsonObject ToJson() => new()
    {
        ["mode"] = "pull",
        ["notes"] = Interlocked.Read(ref _notes),
        ["pulls_sent"] = Interlocked.Read(ref _pulls),
        ["full_pulls"] = Interlocked.Read(ref _fullPulls),
        ["pages"] = Interlocked.Read(ref _pages),
        ["served_mb"] = Math.Round(ServedMb, 1),
        ["rate_limited"] = Interlocked.Read(ref _rateLimited),
        ["other_errors"] = Interlocked.Read(ref _otherErrors),
        ["connected_at_stop"] = _connectedAtStop,
    };

    public string Summary() =>
        $"pulls of {Interlocked.Read(ref _notes)} notes: sent {Interlocked.Read(ref _pulls)}, whole {Interlocked.Read(ref _fullPulls)}, {ServedMb:0.#} MB served, rate_limited {Interlocked.Read(ref _rateLimited)} (connected at the end: {_connectedAtStop})";

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
