using System.Net;
using System.Net.Sockets;

namespace NoteSync.Tests.Infra;

/// <summary>
/// One device's network link to a server, as a TCP proxy on loopback that can be cut and restored: the laptop
/// on a train loses the network while every other device stays online. <see cref="Cut"/> drops every open
/// connection and closes each new one at once (a refused reconnect, as with no network); <see cref="Restore"/>
/// lets connections through again. Everything stops when disposed.
/// </summary>
internal sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;
    private readonly List<(TcpClient Client, TcpClient Server, Task Pump)> _pairs = [];
    private readonly Task _accepting;
    private bool _cut;

    public CuttableLink(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The server's address through the link.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Drops every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        lock (_pairs)
        {
            _cut = true;
            foreach (var (client, server, _) in _pairs)
            {
                // Closing both ends makes each pump's read fail, so its pair ends as a lost network would end it.
                client.Close();
                server.Close();
            }
        }
    }

    public void Restore()
    {
        lock (_pairs)
        {
            _cut = false;
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                if (!Volatile.Read(ref _cut))
                {
                    try
                    {
                        await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                    }
                    catch (SocketException)
                    {
                        // The server is down: the client's connection is closed below, as the server's would be.
                    }
                }

                lock (_pairs)
                {
                    // Checked under the lock, after the connect too: a cut while it connected drops this pair as well.
                    if (_cut || !server.Connected)
                    {
                        client.Close();
                        server.Close();
                        continue;
                    }

                    _pairs.RemoveAll(p => p.Pump.IsCompleted);
                    _pairs.Add((client, server, PairAsync(client, server)));
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
            var up = CopyAsync(client, server, done.Token);
            var down = CopyAsync(server, client, done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
            await Task.WhenAll(up, down).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task CopyAsync(TcpClient from, TcpClient to, CancellationToken cancellationToken)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // The other side closed, the link was cut, or the proxy stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Cut();
        Task[] pumps;
        lock (_pairs)
        {
            pumps = [.. _pairs.Select(p => p.Pump)];
        }

        await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
