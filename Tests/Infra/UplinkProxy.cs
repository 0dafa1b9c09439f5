using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A TCP proxy on loopback in front of a server, shaping only the uplink (client to server), as a
/// device on a poor connection has it: at most <c>bytesPerSecond</c> (0: unlimited), and on the first
/// connection a link that stops carrying anything after <c>stallFirstConnectionAfterBytes</c> (the
/// client's sends then back up; later connections pass). The downlink is not shaped. Everything stops
/// when disposed.
/// </summary>
internal sealed class UplinkProxy : IAsyncDisposable
{
    private const int Chunk = 4096;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;
    private readonly long _bytesPerSecond;
    private readonly long _stallAfter;
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private long _uploaded;
    private int _connections;
    private int _stalled;

    public UplinkProxy(int targetPort, long bytesPerSecond = 0, long stallFirstConnectionAfterBytes = long.MaxValue)
    {
        _target = targetPort;
        _bytesPerSecond = bytesPerSecond;
        _stallAfter = stallFirstConnectionAfterBytes;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The server's address through the proxy.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Bytes carried up so far.</summary>
    public long UploadedBytes => Interlocked.Read(ref _uploaded);

    /// <summary>Whether the first connection's uplink has stopped.</summary>
    public bool Stalled => Volatile.Read(ref _stalled) == 1;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                var first = Interlocked.Increment(ref _connections) == 1;
                lock (_pumps)
                {
                    _pumps.Add(PairAsync(client, server, first ? _stallAfter : long.MaxValue));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task PairAsync(TcpClient client, TcpClient server, long stallAfter)
    {
        using (client)
        using (server)
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = CopyAsync(client.GetStream(), server.GetStream(), uplink: true, stallAfter, done.Token);
            var down = CopyAsync(server.GetStream(), client.GetStream(), uplink: false, long.MaxValue, done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
            await Task.WhenAll(up, down).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool uplink, long stallAfter, CancellationToken cancellationToken)
    {
        var buffer = new byte[Chunk];
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        long carried = 0;
        try
        {
            while (true)
            {
                // Never read past the stall point: what the link does not carry stays in the client's buffers.
                var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(Chunk, Math.Max(1, stallAfter - carried))), cancellationToken);
                if (read == 0)
                {
                    return;
                }

                if (uplink && _bytesPerSecond > 0)
                {
                    // Each chunk takes its time on the link after the one before; an idle link saves up no burst.
                    next = (next > clock.Elapsed ? next : clock.Elapsed) + TimeSpan.FromSeconds((double)read / _bytesPerSecond);
                    var due = next - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                if (!uplink)
                {
                    continue;
                }

                Interlocked.Add(ref _uploaded, read);
                carried += read;
                if (carried >= stallAfter)
                {
                    // The link stops: nothing more is read from this client, so its sends back up.
                    Volatile.Write(ref _stalled, 1);
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            // The other side closed, or the proxy stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
