using Microsoft.AspNetCore.SignalR;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// One device writing through faults: unique values on keys of its own, and some writes to a few
/// shared keys every writer overwrites (so LWW picks winners and ties make siblings). Each write is
/// pushed until acknowledged, on a new connection to any live node when a connection dies: re-sending
/// the same change is harmless (docs/protocol.md §4). The Lamport clock outlives connections.
/// </summary>
internal sealed class JepsenWriter(string name, Transport transport, int firstNode, JepsenCluster cluster, JepsenHistory history, int seed) : IAsyncDisposable
{
    public const int SharedKeys = 4;
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(3);

    // A fresh connection first pulls the whole space (many `more` pages in a long soak): not a write,
    // so not held to the push timeout.
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);

    private readonly Random _random = new(seed);
    private readonly List<Task> _background = [];
    private DeviceConnection? _connection;
    private int _connections;
    private long _clock;
    private bool _lastWriteAcked = true;

    public string Name => name;

    /// <summary>The writer's connection when it is still open and holds nothing unacknowledged: it must converge.</summary>
    public DeviceConnection? LiveConnection => _lastWriteAcked && _connection is { IsConnected: true } c ? c : null;

    /// <summary>
    /// Writes until <paramref name="load"/> ends; the write in flight then is still pushed until acknowledged
    /// or <paramref name="drain"/> ends, so the writer ends with nothing it does not know the fate of.
    /// </summary>
    public async Task RunAsync(CancellationToken load, CancellationToken drain)
    {
        for (var n = 1; !load.IsCancellationRequested; n++)
        {
            _lastWriteAcked = await PushUntilAckedAsync(NextWrite(n), drain);
            try
            {
                await Task.Delay(_random.Next(5, 30), load);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private WrittenChange NextWrite(int n)
    {
        var value = $"{name}/{n}";
        if (_random.Next(4) > 0)
        {
            return new WrittenChange($"note:jepsen/{name}/{n}", new Write(0, name, value));
        }

        var key = $"note:jepsen/shared/{_random.Next(SharedKeys)}";
        return new WrittenChange(key, new Write(0, name, _random.Next(5) == 0 ? null : value));
    }

    // The timestamp is taken once, on the first connection; retries carry the very same write.
    private async Task<bool> PushUntilAckedAsync(WrittenChange unstamped, CancellationToken drain)
    {
        WrittenChange? change = null;
        var attempt = 0;
        while (!drain.IsCancellationRequested)
        {
            if (_connection is null && !await ConnectAsync())
            {
                await BackoffAsync();
                continue;
            }

            var connection = _connection!;
            change ??= unstamped with { Write = unstamped.Write with { Timestamp = connection.Device.Clock.Tick() } };
            var c = change.Value;
            var push = new SyncPush
            {
                Changes = [new Change { Key = c.Key, Value = c.Write.Value, Timestamp = c.Write.Timestamp, DeviceId = name }],
                LastAck = connection.Device.Cursor,
                RequestId = connection.Device.NextRequestId(),
            };
            var record = history.BeginPush(name, connection.Id, connection.Node, transport, [c], isRetry: attempt++ > 0);
            try
            {
                var ack = await connection.PushAsync(push, PushTimeout);
                history.Complete(record, PushOutcome.Acked, ack.AckTimestamp, more: ack.More);
                _clock = Math.Max(_clock, connection.Device.Clock.Current);
                return true;
            }
            catch (Exception ex) when (IsRefusal(ex))
            {
                history.Complete(record, PushOutcome.Failed, error: ex.Message);
                if (!connection.IsConnected && transport != Transport.Http)
                {
                    Abandon();
                }
            }
            catch (Exception ex)
            {
                history.Complete(record, PushOutcome.Unknown, error: $"{ex.GetType().Name}: {ex.Message}");
                Abandon();
            }

            await BackoffAsync();
        }

        return false;
    }

    // An answer that refuses (error frame, HubException, HTTP error status) leaves the connection usable.
    private static bool IsRefusal(Exception ex) => ex switch
    {
        HubException => true,
        InvalidOperationException e => e.Message.Contains("was refused", StringComparison.Ordinal),
        HttpRequestException e => e.Message.StartsWith("POST /sync answered", StringComparison.Ordinal),
        _ => false,
    };

    private async Task<bool> ConnectAsync()
    {
        var node = _connections == 0 ? firstNode : cluster.PickLiveNode(_random);
        _connections++;
        _connection = await DeviceConnection.OpenAsync(cluster, node, transport, name, $"{name}#c{_connections}@node{node}", _background);
        if (_connection is null)
        {
            return false;
        }

        _connection.Device.Clock.Observe(_clock);
        try
        {
            await _connection.PushAsync(_connection.Device.NewPush(), CatchUpTimeout);
            return true;
        }
        catch (Exception)
        {
            Abandon();
            return false;
        }
    }

    private void Abandon()
    {
        if (_connection is { } gone)
        {
            _clock = Math.Max(_clock, gone.Device.Clock.Current);
            foreach (var log in gone.Logs())
            {
                history.AddConnection(log);
            }

            lock (_background)
            {
                _background.Add(gone.DisposeAsync().AsTask());
            }

            _connection = null;
        }
    }

    private Task BackoffAsync() => Task.Delay(_random.Next(100, 300));

    /// <summary>Records the last connection's acks and closes everything, connections being closed in the background included.</summary>
    public async ValueTask DisposeAsync()
    {
        Abandon();
        Task[] pending;
        lock (_background)
        {
            pending = [.. _background];
        }

        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(20));
    }
}
