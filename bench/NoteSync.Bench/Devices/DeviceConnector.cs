using System.Net;
using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Devices;

/// <summary>
/// Opens devices against the server's nodes (one, or several sharing one Redis): builds their URLs
/// (each device on node <see cref="BenchDevice.Node"/>) and connects many with bounded concurrency.
/// </summary>
internal sealed class DeviceConnector : IDisposable
{
    // One handler for every socket: each WebSocket still gets its own TCP connection, but the
    // per-connection handler setup is paid once. No proxy: a proxy from the environment must not
    // sit between the bench and a loopback server.
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        MaxConnectionsPerServer = int.MaxValue,
    });

    private readonly Uri[] _nodes;
    private readonly string? _token;

    /// <summary>Devices on <paramref name="nodes"/>, each connecting with <paramref name="token"/> when given (a server with auth on).</summary>
    public DeviceConnector(IReadOnlyList<Uri> nodes, string? token = null)
    {
        _token = token;
        if (nodes.Count == 0)
        {
            throw new ArgumentException("no server URL");
        }

        foreach (var uri in nodes)
        {
            if (!IsAllowedHost(uri))
            {
                throw new ArgumentException($"refusing {uri}: the bench only targets 127.0.0.1");
            }
        }

        _nodes = [.. nodes];
    }

    /// <summary>How many server nodes the devices are spread over (1 = the single-node bench).</summary>
    public int NodeCount => _nodes.Length;

    /// <summary>
    /// The node of the <paramref name="i"/>-th device of a group (or of a scenario's devices): round-robin,
    /// so with 2 nodes and 4 devices a writer has one peer on its own node and two on the other.
    /// </summary>
    public int NodeOf(int i) => i % _nodes.Length;

    /// <summary>The URL of node <paramref name="i"/>.</summary>
    public Uri Node(int i) => _nodes[i % _nodes.Length];

    public static bool IsAllowedHost(Uri uri) =>
        uri.HostNameType == UriHostNameType.IPv4 && IPAddress.Parse(uri.Host).Equals(IPAddress.Parse("127.0.0.1"));

    public Uri DeviceUri(BenchDevice device) => SyncUri(_nodes[device.Node % _nodes.Length], device.DeviceId, _token);

    /// <summary>The raw WebSocket URL of <paramref name="deviceId"/> on <paramref name="node"/>, the token in the query as a browser sends it.</summary>
    public static Uri SyncUri(Uri node, string deviceId, string? token) =>
        new(node, $"/ws/sync?device_id={Uri.EscapeDataString(deviceId)}{(token is null ? "" : $"&access_token={Uri.EscapeDataString(token)}")}");

    /// <summary>Connects one device and waits for its initial pull to be answered.</summary>
    public async Task<long> ConnectAsync(BenchDevice device, long initialLastAck, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var start = Ticks.Now;
        await device.ConnectAsync(DeviceUri(device), _invoker, initialLastAck, cts.Token);
        await device.Ready.WaitAsync(cts.Token);
        return Ticks.Now - start;
    }

    /// <summary>
    /// Connects every device, at most <paramref name="concurrency"/> at a time, each waited for until
    /// its initial pull is answered. Failures are counted, not thrown: the caller decides.
    /// </summary>
    public async Task<ConnectOutcome> ConnectManyAsync(
        IReadOnlyList<BenchDevice> devices, long initialLastAck, int concurrency, CancellationToken cancellationToken)
    {
        var next = -1;
        var failures = 0;
        string? firstError = null;
        var start = Ticks.Now;

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < devices.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    await ConnectAsync(devices[i], initialLastAck, TimeSpan.FromSeconds(20), cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstError, $"{devices[i].DeviceId}: {e.GetType().Name}: {e.Message}", null);
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Min(concurrency, devices.Count)).Select(_ => Task.Run(WorkerAsync, cancellationToken));
        await Task.WhenAll(workers);
        return new ConnectOutcome(devices.Count - failures, failures, firstError, Ticks.ToMs(Ticks.Now - start));
    }

    /// <summary>Closes every device, at most <paramref name="concurrency"/> at a time; returns the ms it took.</summary>
    public static async Task<double> CloseManyAsync(IReadOnlyList<BenchDevice> devices, int concurrency)
    {
        var start = Ticks.Now;
        var next = -1;

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < devices.Count)
            {
                await devices[i].DisposeAsync();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, Math.Max(1, devices.Count))).Select(_ => Task.Run(WorkerAsync)));
        return Ticks.ToMs(Ticks.Now - start);
    }

    public void Dispose() => _invoker.Dispose();
}

/// <summary>How a batch of connects went.</summary>
internal readonly record struct ConnectOutcome(int Opened, int Failed, string? FirstError, double ElapsedMs);
