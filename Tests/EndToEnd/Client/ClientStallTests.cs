using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>
/// An uplink that stops carrying bytes in the middle of a push: the push is abandoned after
/// <see cref="NoteSyncClientOptions.UploadStallTimeout"/>, not after its size allowance, and sent again
/// smaller over a new connection.
/// </summary>
public sealed class ClientStallTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APushWhoseUploadStallsIsAbandonedAfterTheStallTimeoutAndGoesAgainSmaller(bool webSocket)
    {
        // Arrange: a proxy whose first connection stops carrying the uplink after 100 KB; 7.2 MB of notes in
        // one push (more than the socket buffers take, so the client's send itself stops); a size allowance
        // that would wait hours (1 KB/s) and a 2 s stall timeout.
        await using var server = await ServerProcess.StartAsync();
        await using var proxy = new StallingProxy(server.Port, stallAfterBytes: 100_000);
        using var dir = new TempDirectory();
        var logger = new ListLogger();
        var options = new NoteSyncClientOptions
        {
            DataDirectory = dir.Path,
            Logger = logger,
            MinReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(60),
            MinUploadBytesPerSecond = 1_000,
            MaxPushBytes = 8 * 1024 * 1024,
            UploadStallTimeout = TimeSpan.FromSeconds(2),
        };
        await using var client = new NoteSyncClient(new SyncConfig { DeviceId = "stalled", SyncEndpoint = proxy.BaseUri, EnableWebSocket = webSocket, SyncIntervalMs = 200 }, options);
        await client.WriteManyAsync([.. Enumerable.Range(0, 8).Select(i => new KeyValuePair<string, string?>($"n{i}.md", new string((char)('a' + i), 900_000)))]);

        // Act: bounded well within the first push's size allowance.
        client.Start();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        await client.SyncNowAsync(bound.Token);

        // Assert: the stall was the reason, and every note is on the server.
        Assert.True(proxy.Stalled, "the proxy never stalled a connection");
        Assert.Contains(logger.Lines, l => l.Message.Contains("made no progress for 2 s", StringComparison.Ordinal));
        Assert.Equal(0, client.Status.OutboxDepth);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(8, observer.Snapshot().Count);
        Assert.All(observer.Snapshot().Values, v => Assert.Equal(900_000, v.Length));
        Assert.DoesNotContain(logger.Lines, l => l.Level >= LogLevel.Error);
    }

    /// <summary>A loopback TCP proxy whose first connection stops carrying client bytes after a number of them (the link stalls); later connections pass freely.</summary>
    private sealed class StallingProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly int _target;
        private readonly long _stallAfter;
        private readonly List<Task> _pumps = [];
        private readonly Task _accepting;
        private int _connections;
        private int _stalled;

        public StallingProxy(int targetPort, long stallAfterBytes)
        {
            _target = targetPort;
            _stallAfter = stallAfterBytes;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        public bool Stalled => Volatile.Read(ref _stalled) == 1;

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

            await Task.WhenAll(pumps).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
        }

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
                var up = CopyAsync(client.GetStream(), server.GetStream(), stallAfter, done.Token);
                var down = CopyAsync(server.GetStream(), client.GetStream(), long.MaxValue, done.Token);
                await Task.WhenAny(up, down);
                await done.CancelAsync();
                await Task.WhenAll(up, down).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        private async Task CopyAsync(NetworkStream from, NetworkStream to, long stallAfter, CancellationToken cancellationToken)
        {
            var buffer = new byte[4096];
            long carried = 0;
            try
            {
                while (true)
                {
                    var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, Math.Max(1, stallAfter - carried))), cancellationToken);
                    if (read == 0)
                    {
                        return;
                    }

                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
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
    }
}
