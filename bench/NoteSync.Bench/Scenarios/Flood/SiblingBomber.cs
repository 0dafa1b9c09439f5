using System.Text.Json.Nodes;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// The sibling bomb: a device that writes distinct values to one note at one timestamp, so each would
/// be kept as another conflict sibling, one push at a time as fast as the server answers. When the
/// server refuses a note as full (<c>too_large</c>, docs/protocol.md "a conflict entry") it moves on to
/// the next note, as an attacker would; a space quota or the rate limit refuses it outright.
/// </summary>
internal sealed class SiblingBomber : IFloodDevice
{
    private const long Timestamp = 100;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _keyPrefix;
    private readonly string _padding;
    private FloodSocket? _socket;
    private Task? _loop;
    private TaskCompletionSource<FloodMessage>? _answer;
    private string _awaited = "";
    private long _cursor;
    private long _sent;
    private long _acked;
    private long _noteFull;
    private long _quota;
    private long _rateLimited;
    private long _otherErrors;
    private long _notes;
    private bool _connectedAtStop;

    private SiblingBomber(string keyPrefix, int valueBytes)
    {
        _keyPrefix = keyPrefix;
        _padding = new string('x', Math.Max(0, valueBytes - 10));
    }

    public static async Task<SiblingBomber> StartAsync(Uri node, string deviceId, string? token, string keyPrefix, int valueBytes, CancellationToken cancellationToken)
    {
        var bomber = new SiblingBomber(keyPrefix, valueBytes);
        bomber._socket = await FloodSocket.ConnectAsync(node, deviceId, token, bomber.OnMessage, cancellationToken);
        bomber._loop = Task.Run(bomber.LoopAsync, CancellationToken.None);
        return bomber;
    }

    private void OnMessage(FloodMessage message)
    {
        if (message.IsAck && message.AckTimestamp() is { } ack && ack > Interlocked.Read(ref _cursor))
        {
            Interlocked.Exchange(ref _cursor, ack);
        }

        var answer = Volatile.Read(ref _answer);
        if (answer is not null && message.Answers(Volatile.Read(ref _awaited)))
        {
            answer.TrySetResult(message);
        }
    }

    private async Task LoopAsync()
    {
        var socket = _socket!;
        try
        {
            for (long i = 0; !_stop.IsCancellationRequested && socket.IsOpen; i++)
            {
                var id = $"b{i}";
                // Ten digits first, so every value differs from every other (a repeat would not be a new sibling).
                var frame = $"{{\"type\":\"sync_push\",\"request_id\":\"{id}\",\"last_ack\":{Interlocked.Read(ref _cursor)},\"changes\":[{{\"key\":\"{_keyPrefix}{Interlocked.Read(ref _notes)}\",\"value\":\"{i:D10}{_padding}\",\"timestamp\":{Timestamp}}}]}}";
                var answer = new TaskCompletionSource<FloodMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _awaited, id);
                Volatile.Write(ref _answer, answer);
                await socket.SendAsync(frame);
                Interlocked.Increment(ref _sent);
                Count(await answer.Task.WaitAsync(AnswerTimeout, _stop.Token));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            // Stopped, no answer in time, or cut: the counts say which.
        }
    }

    private void Count(FloodMessage answer)
    {
        if (!answer.IsError)
        {
            Interlocked.Increment(ref _acked);
        }
        else if (answer.HasCode("too_large"))
        {
            Interlocked.Increment(ref _noteFull);
            Interlocked.Increment(ref _notes);
        }
        else if (answer.HasCode("quota_exceeded"))
        {
            Interlocked.Increment(ref _quota);
        }
        else if (answer.HasCode("rate_limited"))
        {
            Interlocked.Increment(ref _rateLimited);
        }
        else
        {
            Interlocked.Increment(ref _otherErrors);
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

    public JsonObject ToJson() => new()
    {
        ["mode"] = "siblings",
        ["value_bytes"] = _padding.Length + 10,
        ["sent"] = Interlocked.Read(ref _sent),
        ["bytes_sent"] = _socket?.BytesSent ?? 0,
        ["bytes_received"] = _socket?.BytesReceived ?? 0,
        ["acked"] = Interlocked.Read(ref _acked),
        ["note_full"] = Interlocked.Read(ref _noteFull),
        ["quota_exceeded"] = Interlocked.Read(ref _quota),
        ["rate_limited"] = Interlocked.Read(ref _rateLimited),
        ["other_errors"] = Interlocked.Read(ref _otherErrors),
        ["notes_filled"] = Interlocked.Read(ref _notes),
        ["connected_at_stop"] = _connectedAtStop,
    };

    public string Summary() =>
        $"siblings of {_padding.Length + 10} B: sent {Interlocked.Read(ref _sent)} ({(_socket?.BytesSent ?? 0) / 1_048_576.0:0.#} MB), acked {Interlocked.Read(ref _acked)}, note full {Interlocked.Read(ref _noteFull)}, quota {Interlocked.Read(ref _quota)}, rate_limited {Interlocked.Read(ref _rateLimited)} (connected at the end: {_connectedAtStop})";

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
