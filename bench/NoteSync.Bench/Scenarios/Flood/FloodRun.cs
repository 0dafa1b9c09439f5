using System.Text.Json.Nodes;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// The flooding device a fan-out runs beside (<c>--flood-mode</c>), with read-only listeners in its
/// space: what the server sends them for the flooder's bytes is the amplification the flood buys.
/// The flooder and its listeners use <c>--flood-token</c>, so with auth on they sit in another space
/// than the measured devices.
/// </summary>
internal sealed class FloodRun : IFloodDevice
{
    private readonly IFloodDevice _flooder;
    private readonly List<FloodSocket> _listeners;

    private FloodRun(IFloodDevice flooder, List<FloodSocket> listeners)
    {
        _flooder = flooder;
        _listeners = listeners;
    }

    /// <summary>Starts the flood <paramref name="context"/>'s options ask for, or returns null when they ask for none.</summary>
    public static async Task<FloodRun?> StartAsync(BenchContext context, string tag, CancellationToken cancellationToken)
    {
        var options = context.Options;
        if (options.FloodMode == "")
        {
            return null;
        }

        var node = context.Connector.Node(0);
        var token = options.FloodToken ?? options.Token;
        var prefix = $"note:{context.RunId}{tag}-flood/";
        var listeners = new List<FloodSocket>();
        try
        {
            for (var i = 0; i < options.FloodListeners; i++)
            {
                var listener = await FloodSocket.ConnectAsync(node, $"{context.RunId}{tag}-listener{i}", token, null, cancellationToken);
                listeners.Add(listener);
                // A connection hears others' writes once it has pulled (docs/protocol.md, live pushes).
                await listener.SendAsync("{\"type\":\"sync_push\",\"request_id\":\"l0\",\"last_ack\":0,\"changes\":[]}");
            }

            var deviceId = $"{context.RunId}{tag}-flooder";
            IFloodDevice flooder = options.FloodMode switch
            {
                "rate" => await Flooder.StartAsync(node, deviceId, token, prefix, options.FloodRate, cancellationToken),
                "siblings" => await SiblingBomber.StartAsync(node, deviceId, token, prefix, options.FloodValueBytes, cancellationToken),
                "pull" => await PullLooper.StartAsync(node, deviceId, token, prefix, options.FloodNotes, options.NoteSize, cancellationToken),
                _ => throw new ArgumentException($"unknown flood mode '{options.FloodMode}'"),
            };
            return new FloodRun(flooder, listeners);
        }
        catch
        {
            foreach (var listener in listeners)
            {
                await listener.DisposeAsync();
            }

            throw;
        }
    }

    public Task StopAsync() => _flooder.StopAsync();

    private long ListenerBytes => _listeners.Sum(l => l.BytesReceived);

    public JsonObject ToJson()
    {
        var json = _flooder.ToJson();
        json["listeners"] = _listeners.Count;
        json["listener_bytes_received"] = ListenerBytes;
        json["listeners_open_at_stop"] = _listeners.Count(l => l.IsOpen);
        return json;
    }

    public string Summary() => $"{_flooder.Summary()}; its {_listeners.Count} listeners received {ListenerBytes / 1_048_576.0:0.#} MB";

    public async ValueTask DisposeAsync()
    {
        await _flooder.DisposeAsync();
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync();
        }
    }
}
