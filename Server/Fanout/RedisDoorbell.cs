using System.Globalization;
using NoteSync.Server.Observability;
using NoteSync.Server.Stores;
using StackExchange.Redis;

namespace NoteSync.Server.Fanout;

/// <summary>
/// The doorbell of a node among several on one Redis (<c>NoteSync:Store=redis</c>). A ring reaches the
/// local listeners at once, with the live frame, through an <see cref="InProcessDoorbell{TFrame}"/>, and is
/// published on the space's channel (<see cref="RedisDoorbell.ChannelFor"/>) as <c>"&lt;cursor&gt; &lt;node id&gt;"</c>;
/// other nodes subscribed to that channel ring their own listeners with the cursor alone (a frame
/// null, so each device reads the log from its own cursor). A node subscribes to a space's channel
/// while it has a local listener there.
/// <para>
/// Pub/sub is at-most-once and buffers nothing while Redis is down, so it only makes delivery fast:
/// correctness comes from <see cref="CheckHeadsAsync"/>, run every <c>NoteSync:Sync:HeadCheckIntervalMs</c>
/// by <see cref="DoorbellHeadCheckService"/>, which reads the clock of every space with local listeners
/// and rings them with it (those already there ignore it). A lost message, a Redis restart, a dropped
/// subscription or a device's failed read therefore delays a device by at most about one interval, with
/// no reconnect. A Redis connection that comes back (a restart, a Sentinel failover, a killed client)
/// asks for a check at once (<see cref="CheckWanted"/>): rings published while it was away are lost,
/// and a history renamed by a failover must reach this node's devices before the next interval.
/// </para>
/// </summary>
internal sealed class RedisDoorbell<TFrame> : IDoorbell<TFrame>, IHeadCheck
    where TFrame : class
{
    // Spaces whose clocks are read at once in one head check; the rest wait for the next batch.
    private const int HeadCheckBatch = 256;

    private readonly InProcessDoorbell<TFrame> _local = new();
    private readonly ISubscriber _subscriber;

    // On a Redis Cluster the doorbell channels are sharded (RedisDoorbell.ChannelFor).
    private readonly bool _sharded;
    private readonly IDatabase _database;
    private readonly NoteSyncMetrics _metrics;
    private readonly ISyncStore _store;
    private readonly Action<string, long> _heard;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SpaceBell> _spaces = new(StringComparer.Ordinal);

    // 1 when the connection came back since the last head check: the next one waits for the subscriptions first.
    private int _reconnected;

    /// <param name="redis">The node's Redis connection.</param>
    /// <param name="store">Where the head check reads each space's clock.</param>
    /// <param name="heard">
    /// Told (space, cursor) before this node's listeners hear a ring, so that what they then read is up
    /// to date: the sync layer's window of recent changes must stop answering for a commit it has not seen.
    /// </param>
    /// <param name="metrics">Where the Redis round trip and repaired gaps are counted.</param>
    /// <param name="logger">The doorbell's log.</param>
    public RedisDoorbell(IConnectionMultiplexer redis, ISyncStore store, Action<string, long> heard, NoteSyncMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _subscriber = redis.GetSubscriber();
        _database = redis.GetDatabase();
        _sharded = redis.GetServers().Any(s => s.ServerType == ServerType.Cluster);
        _metrics = metrics;
        _store = store;
        _heard = heard;
        _logger = logger;

        // Either connection counts: with RESP3 the subscriptions ride on the interactive one, and a
        // reconfiguration (a Sentinel's new primary) can move them to another server without a failure.
        redis.ConnectionRestored += (_, _) => OnReconnected();
        redis.ConfigurationChanged += (_, _) => OnReconnected();
    }

    public event Action? CheckWanted;

    /// <summary>This node's id in published messages, so it ignores its own echo.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>How many spaces this node listens to (has a subscription for).</summary>
    internal int SpaceCount
    {
        get
        {
            lock (_lock)
            {
                return _spaces.Count;
            }
        }
    }

    public void Ring(string space, long cursor, TFrame? frame)
    {
        SpaceBell? bell;
        lock (_lock)
        {
            _spaces.TryGetValue(space, out bell);
        }

        bell?.Heard(cursor);

        // The window must know the clock reached the cursor before the local devices read it. A commit
        // of this node has told it already; a re-send's cursor is the store's clock, which may hold
        // commits of other nodes whose messages have not arrived: the devices would read nothing new,
        // and with the cursor counted as heard, neither those messages nor the head check would ring again.
        _heard(space, cursor);
        _local.Ring(space, cursor, frame);

        try
        {
            // Fire and forget: a ring never waits for Redis, and a lost one is repaired by the head check.
            _subscriber.Publish(RedisDoorbell.ChannelFor(space, _sharded), string.Create(CultureInfo.InvariantCulture, $"{cursor} {NodeId}"), CommandFlags.FireAndForget);
        }
        catch (Exception ex)
        {
            RedisDoorbell.Log.PublishFailed(_logger, space, ex);
        }
    }

    public IDisposable Listen(string space, ISpaceListener<TFrame> listener)
    {
        SpaceBell bell;
        var subscribe = false;
        lock (_lock)
        {
            if (!_spaces.TryGetValue(space, out bell!))
            {
                bell = new SpaceBell(this, space);
                _spaces.Add(space, bell);
                subscribe = true;
            }

            bell.Listeners++;
        }

        var inner = _local.Listen(space, listener);
        if (subscribe)
        {
            bell.Subscribe();
        }

        return new Subscription(this, bell, inner);
    }

    /// <summary>
    /// One head check: reads the clock of every space with local listeners and rings them with it; a
    /// clock past what this node last heard counts as a repaired gap. Never throws; a failed read is
    /// logged and retried next time.
    /// </summary>
    public async Task CheckHeadsAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _reconnected, 0) == 1)
        {
            await SubscriptionsSettledAsync().ConfigureAwait(false);
        }

        SpaceBell[] bells;
        lock (_lock)
        {
            bells = [.. _spaces.Values];
        }

        // One PING per check gives operators a Redis round trip even on a node with no live devices;
        // it runs beside the reads, so it delays nothing.
        var ping = PingAsync();
        var failures = 0;
        Exception? first = null;
        for (var start = 0; start < bells.Length; start += HeadCheckBatch)
        {
            var batch = bells.AsMemory(start, Math.Min(HeadCheckBatch, bells.Length - start));
            var reads = new Task<long>[batch.Length];
            for (var i = 0; i < reads.Length; i++)
            {
                reads[i] = ReadHeadAsync(batch.Span[i].Space, cancellationToken);
            }

            for (var i = 0; i < reads.Length; i++)
            {
                try
                {
                    var head = await reads[i].ConfigureAwait(false);
                    var bell = batch.Span[i];
                    if (bell.Heard(head))
                    {
                        RedisDoorbell.Log.GapRepaired(_logger, bell.Space, head);
                        _metrics.GapRepaired();
                    }

                    // Every time, not only for a head not heard before: a ring heard is not a ring
                    // delivered (a device's read may have failed, or run before the window knew), and
                    // after a space's last commit nothing else would ring. A device already there ignores it.
                    if (head > 0)
                    {
                        RingFromElsewhere(bell.Space, head);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    failures++;
                    first ??= ex;
                }
            }
        }

        if (first is not null)
        {
            RedisDoorbell.Log.HeadCheckFailed(_logger, failures, bells.Length, first);
        }

        await ping.ConfigureAwait(false);
    }

    private void OnReconnected()
    {
        Volatile.Write(ref _reconnected, 1);
        CheckWanted?.Invoke();
    }

    /// <summary>
    /// Returns once Redis has handled the SUBSCRIBEs the library re-sent on a restored connection: it sends
    /// them before it reports the connection back, and a PING on the subscription connection is answered
    /// after them. From then on a commit is either in the clocks the check reads or its message arrives.
    /// </summary>
    private async Task SubscriptionsSettledAsync()
    {
        try
        {
            await _subscriber.PingAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection went again: it will be reported back, and ask for another check.
        }
    }

    private async Task PingAsync()
    {
        try
        {
            _metrics.RedisRoundTrip(await _database.PingAsync().ConfigureAwait(false));
        }
        catch (Exception)
        {
            // Redis is unreachable (the head reads fail too, and log it), or the node is stopping: nothing to record.
        }
    }

    private async Task<long> ReadHeadAsync(string space, CancellationToken cancellationToken)
    {
        // Async, so even a synchronous failure lands in the task. Started together, a batch is one pipelined round trip.
        return await _store.GetCursorAsync(space, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The space's clock is at <paramref name="cursor"/> by a commit of another node: rings local listeners with no frame.</summary>
    private void RingFromElsewhere(string space, long cursor)
    {
        // The recent-changes window must stop answering before any device reads: it has not seen this commit.
        _heard(space, cursor);
        _local.Ring(space, cursor, null);
    }

    private void OnMessage(SpaceBell bell, RedisValue message)
    {
        var text = ((string?)message).AsSpan();
        var blank = text.IndexOf(' ');
        if (blank <= 0 || !long.TryParse(text[..blank], NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
        {
            RedisDoorbell.Log.MalformedMessage(_logger, bell.Space);
            return;
        }

        if (text[(blank + 1)..].SequenceEqual(NodeId))
        {
            return;
        }

        if (bell.Heard(cursor))
        {
            RingFromElsewhere(bell.Space, cursor);
        }
    }

    private void Leave(SpaceBell bell, IDisposable inner)
    {
        inner.Dispose();
        var unsubscribe = false;
        lock (_lock)
        {
            if (--bell.Listeners == 0)
            {
                _spaces.Remove(bell.Space);
                unsubscribe = true;
            }
        }

        if (unsubscribe)
        {
            bell.Unsubscribe();
        }
    }

    /// <summary>A space this node listens to: its local listener count, its subscription, and the newest cursor it heard.</summary>
    private sealed class SpaceBell
    {
        private readonly RedisDoorbell<TFrame> _owner;
        private readonly RedisChannel _channel;

        // One handler per SpaceBell: unsubscribing it never removes a newer bell's handler for the same channel.
        private readonly Action<RedisChannel, RedisValue> _handler;
        private long _heard;

        public SpaceBell(RedisDoorbell<TFrame> owner, string space)
        {
            _owner = owner;
            Space = space;
            _channel = RedisDoorbell.ChannelFor(space, owner._sharded);
            _handler = (_, message) => owner.OnMessage(this, message);
        }

        public string Space { get; }

        /// <summary>Guarded by the owner's lock.</summary>
        public int Listeners { get; set; }

        /// <summary>Raises the newest cursor heard; true when <paramref name="cursor"/> is newer than it was.</summary>
        public bool Heard(long cursor)
        {
            var seen = Volatile.Read(ref _heard);
            while (cursor > seen)
            {
                var was = Interlocked.CompareExchange(ref _heard, cursor, seen);
                if (was == seen)
                {
                    return true;
                }

                seen = was;
            }

            return false;
        }

        public void Subscribe() => _ = Run(_owner._subscriber.SubscribeAsync(_channel, _handler), "subscribe");

        public void Unsubscribe() => _ = Run(_owner._subscriber.UnsubscribeAsync(_channel, _handler), "unsubscribe");

        private async Task Run(Task operation, string what)
        {
            try
            {
                await operation.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The library subscribes again on reconnect; meanwhile the head check covers the space.
                RedisDoorbell.Log.SubscriptionFailed(_owner._logger, what, Space, ex);
            }
        }
    }

    private sealed class Subscription(RedisDoorbell<TFrame> owner, SpaceBell bell, IDisposable inner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(bell, inner);
            }
        }
    }
}
