using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A TCP proxy on loopback in front of a server whose uplink (client to server) carries at most
/// <c>bytesPerSecond</c>; the downlink is not slowed. A slow link as a device on a poor connection
/// has it. Everything stops when disposed.
/// </summary>
internal sealed class ThrottlingProxy : IAsyncDisposable
{
    private const int Chunk = 4096;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;
    private readonly long _bytesPerSecond;
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;

    public ThrottlingProxy(int targetPort, long bytesPerSecond)
    {
        _target = targetPort;
        _bytesPerSecond = bytesPerSecond;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The server's address through the proxy.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Bytes carried up so far.</summary>
    public long UploadedBytes => Interlocked.Read(ref _uploaded);

    private long _uploaded;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                lock (_pumps)
                {
                    _pumps.Add(PairAsync(client, server));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task PairAsync(TcpClient client, TcpClient server)
    {
        using (client)
        using (server)
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = CopyAsync(client.GetStream(), server.GetStream(), throttle: true, done.Token);
            var down = CopyAsync(server.GetStream(), client.GetStream(), throttle: false, done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
            await Task.WhenAll(up, down).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool throttle, CancellationToken cancellationToken)
    {
        var buffer = new byte[Chunk];
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                if (throttle)
                {
                    // Each chunk takes its time on the link after the one before; an idle link saves up no burst.
                    next = (next > clock.Elapsed ? next : clock.Elapsed) + TimeSpan.FromSeconds((double)read / _bytesPerSecond);
                    var due = next - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }

                    Interlocked.Add(ref _uploaded, read);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
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
