using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace NoteSync.Tests.Infra;

/// <summary>
/// The SignalR JSON hub protocol spoken by hand over a raw WebSocket, so a test can see frames in
/// the exact order they arrive (the official client resolves invocation results on other threads).
/// Records the <c>ack_timestamp</c> of every invocation result and every <c>Changes</c> call, in wire order,
/// and how the connection ended.
/// </summary>
internal sealed class RawHubClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket = new();
    private readonly List<long> _ackTimestamps = [];
    private readonly Dictionary<string, TaskCompletionSource<JsonNode?>> _pending = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<RawHubClose> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _closeError;
    private bool _closeMessage;
    private Task? _receiver;
    private int _nextId;

    public IReadOnlyList<long> AckTimestampsInWireOrder
    {
        get
        {
            lock (_lock)
            {
                return [.. _ackTimestamps];
            }
        }
    }

    /// <summary>Completes when the connection has ended, with what the server said on the way out.</summary>
    public Task<RawHubClose> Closed => _closed.Task;

    public static async Task<RawHubClient> ConnectAsync(ITestServer server, string deviceId, string? token = null)
    {
        var client = new RawHubClient();
        var query = token is null ? "" : $"&access_token={Uri.EscapeDataString(token)}";
        await client._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/hubs/sync?device_id={deviceId}{query}"), CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}");
        client._receiver = Task.Run(client.ReceiveLoopAsync);
        return client;
    }

    /// <summary>Invokes <c>Push</c> and returns the result's JSON (throws on an invocation error).</summary>
    public Task<JsonNode> PushAsync(JsonObject push) => InvokeAsync("Push", new JsonArray(push));

    /// <summary>Invokes <paramref name="target"/> with <paramref name="arguments"/> as given; an invocation error throws <see cref="InvalidOperationException"/> with its message.</summary>
    public Task<JsonNode> InvokeAsync(string target, JsonArray arguments) => InvokeRawAsync(target, arguments.ToJsonString());

    /// <summary>As <see cref="InvokeAsync"/>, with the arguments as raw JSON text (which may be anything).</summary>
    public async Task<JsonNode> InvokeRawAsync(string target, string argumentsJson)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var done = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _pending[id] = done;
        }

        var message = new JsonObject { ["type"] = 1, ["invocationId"] = id, ["target"] = target }.ToJsonString();
        await SendAsync(string.Concat(message.AsSpan(0, message.Length - 1), ",\"arguments\":", argumentsJson, "}"));
        return (await done.Task.WaitAsync(TestDevice.DefaultTimeout))!;
    }

    private Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 20];
        var text = new StringBuilder();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Close(result.CloseStatus, reset: false);
                    return;
                }

                text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                var all = text.ToString();
                var end = all.LastIndexOf(RecordSeparator);
                if (end < 0)
                {
                    continue;
                }

                foreach (var record in all[..end].Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries))
                {
                    OnMessage(JsonNode.Parse(record)!);
                }

                text.Clear().Append(all[(end + 1)..]);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed under us, or by DisposeAsync: ClientWebSocket.Abort disposes the socket, so a loop
            // between two receives meets a disposed socket, not a cancelled receive.
            Close(null, reset: true);
        }
        finally
        {
            Close(_socket.CloseStatus, reset: false);

            // Whatever is still pending will never be answered.
            lock (_lock)
            {
                foreach (var pending in _pending.Values)
                {
                    pending.TrySetException(new WebSocketException("the hub connection closed"));
                }

                _pending.Clear();
            }
        }
    }

    private void Close(WebSocketCloseStatus? status, bool reset)
    {
        lock (_lock)
        {
            _closed.TrySetResult(new RawHubClose(_closeMessage, _closeError, status, reset));
        }
    }

    private void OnMessage(JsonNode message)
    {
        var type = message["type"]?.GetValue<int>();
        lock (_lock)
        {
            if (type == 7)
            {
                _closeMessage = true;
                _closeError = message["error"]?.GetValue<string>();
            }
            else if (type == 1 && message["target"]?.GetValue<string>() == "Changes")
            {
                _ackTimestamps.Add(message["arguments"]![0]!["ack_timestamp"]!.GetValue<long>());
            }
            else if (type == 3 && message["invocationId"]?.GetValue<string>() is { } id && _pending.Remove(id, out var done))
            {
                if (message["error"] is { } error)
                {
                    done.SetException(new InvalidOperationException(error.GetValue<string>()));
                }
                else
                {
                    _ackTimestamps.Add(message["result"]!["ack_timestamp"]!.GetValue<long>());
                    done.SetResult(message["result"]);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        if (_receiver is not null)
        {
            await _receiver.WaitAsync(TimeSpan.FromSeconds(5));
        }

        _socket.Dispose();
    }
}

/// <summary>How a hub connection ended, as <see cref="RawHubClient"/> saw it.</summary>
/// <param name="CloseMessage">Whether SignalR's Close message (type 7) arrived before the end.</param>
/// <param name="Error">That message's <c>error</c>, if any.</param>
/// <param name="Status">The WebSocket close status, when a close frame arrived.</param>
/// <param name="Reset">True when the connection broke without a close frame.</param>
internal sealed record RawHubClose(bool CloseMessage, string? Error, WebSocketCloseStatus? Status, bool Reset);
