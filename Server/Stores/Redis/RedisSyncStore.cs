using System.Globalization;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// The store for several nodes: every space in one Redis (key layout: <see cref="RedisKeys"/>; scripts
/// and entry format: <see cref="RedisScripts"/>). A push is merged by one Lua script, so it is atomic
/// and serialized with every other push to the space whichever node sends it; a page of "changes since"
/// is one read-only script, so its clock and its entries come from one state. Durability is Redis's:
/// with <c>appendfsync always</c> Redis answers a script only after its writes are fsynced to the AOF
/// (the start-up check refuses a Redis without AOF unless told otherwise). Thread-safe.
/// <para>
/// The connection is the caller's: the store disposes it only when constructed with
/// <c>ownsConnection: true</c>. The server shares its one connection with the doorbell, so the DI
/// container owns it and closes it after both; tests share one connection between store instances.
/// </para>
/// </summary>
internal sealed partial class RedisSyncStore : ISyncStore
{
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly bool _ownsConnection;
    private readonly ILogger _logger;
    private readonly int _minReplicas;
    private readonly int _replicaWaitTimeoutMs;

    private readonly RedisWriteRefusal _writeRefusal = new();
    private readonly SlotMapRefresh _slotMap;

    // Pushes in flight, so DisposeAsync can let them finish before the connection goes.
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private bool _disposed;

    /// <param name="redis">The connection (a plain one, or one made through Sentinel).</param>
    /// <param name="logger">The store's logger.</param>
    /// <param name="ownsConnection">Whether <see cref="DisposeAsync"/> closes <paramref name="redis"/>.</param>
    /// <param name="minReplicas">
    /// <c>NoteSync:Redis:MinReplicas</c>: above 0, a push is only returned once <c>WAIT</c> reports that
    /// many replicas hold it; otherwise <see cref="ReplicationUnconfirmedException"/>.
    /// </param>
    /// <param name="replicaWaitTimeoutMs"><c>NoteSync:Redis:ReplicaWaitTimeoutMs</c>: <c>WAIT</c>'s timeout.</param>
    /// <param name="clockLimits">How far a change may lead the clock, and so the failover margin; <see cref="ClockLimits.Default"/> when null.</param>
    /// <param name="noteLimits">How much a note may hold at its top timestamp; <see cref="NoteLimits.Default"/> when null.</param>
    /// <param name="quotas">How much a space may hold; <see cref="SpaceQuotas.Default"/> when null.</param>
    /// <param name="history">How much history to keep; <see cref="HistoryLimits.Default"/> when null.</param>
    public RedisSyncStore(
        IConnectionMultiplexer redis,
        ILogger logger,
        bool ownsConnection = false,
        int minReplicas = 0,
        int replicaWaitTimeoutMs = 2000,
        ClockLimits? clockLimits = null,
        NoteLimits? noteLimits = null,
        SpaceQuotas? quotas = null,
        HistoryLimits? history = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(minReplicas);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(replicaWaitTimeoutMs);
        _redis = redis;
        _database = redis.GetDatabase();
        _ownsConnection = ownsConnection;
        _logger = logger;
        _minReplicas = minReplicas;
        _replicaWaitTimeoutMs = replicaWaitTimeoutMs;
        _slotMap = new SlotMapRefresh(redis, logger);
        ClockLimits = clockLimits ?? ClockLimits.Default;
        _noteLimits = noteLimits ?? NoteLimits.Default;
        _quotas = quotas ?? SpaceQuotas.Default;
        _history = history ?? HistoryLimits.Default;
        if (minReplicas > 0)
        {
            redis.ConnectionFailed += (_, _) => Interlocked.Increment(ref _connectionEpoch);
            redis.ConnectionRestored += (_, _) => Interlocked.Increment(ref _connectionEpoch);
        }

        // Endpoints only: the configuration string may carry a password.
        Log.Opened(_logger, string.Join(',', redis.GetEndPoints().Select(e => e.ToString())), ownsConnection);
    }

    /// <summary>The bound on a change's lead over the clock, and the failover margin that follows from it.</summary>
    internal ClockLimits ClockLimits { get; }

    private readonly NoteLimits _noteLimits;
    private readonly SpaceQuotas _quotas;
    private readonly HistoryLimits _history;

    /// <summary>
    /// False: the merge needs the three-way line merge, which runs on a node, not in the apply script, so
    /// the sync service commits it after the edit (docs/architecture.md, History).
    /// </summary>
    public bool MergesConcurrentEdits => false;

    /// <inheritdoc />
    /// <remarks>
    /// Cancellation is honoured until the script is sent; after that the push runs to its end, as it
    /// would in Redis anyway, and the caller gets its result. A push re-sent by the client library after
    /// a reconnect is harmless: the merge is idempotent.
    /// </remarks>
    public async Task<ApplyResult> ApplyAsync(string space, IReadOnlyList<KeyedWrite> writes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckApply(space, writes);
        cancellationToken.ThrowIfCancellationRequested();

        const int First = 11, PerWrite = 6;
        var values = new RedisValue[First + (writes.Count * PerWrite)];
        values[0] = ClockLimits.MaxLead;
        values[1] = ClockLimits.FailoverMargin;
        values[2] = _minReplicas > 0 ? "1" : "0";
        values[3] = Epochs.New();
        values[4] = _noteLimits.MaxWritesPerNote;
        values[5] = _noteLimits.MaxNoteBytes;
        values[6] = _quotas.MaxNotes;
        values[7] = _quotas.MaxBytes;
        values[8] = _history.VersionsPerNote;
        values[9] = _history.MaxAgeMs;
        values[10] = _history.MaxBytesPerSpace;
        for (var i = 0; i < writes.Count; i++)
        {
            var (key, write, @base) = writes[i];
            var at = First + (i * PerWrite);
            values[at + 0] = key;
            values[at + 1] = write.Timestamp;
            values[at + 2] = write.DeviceId;
            values[at + 3] = write.Value is null ? "0" : "1";
            values[at + 4] = write.Value ?? "";
            values[at + 5] = RedisEntryCodec.EncodeBase(@base);
        }

        Enter();
        try
        {
            if (writes.Count == 0)
            {
                var cursor = await ReadClockAsync(space).ConfigureAwait(false);
                return new ApplyResult(cursor, cursor, [], []);
            }

            RedisResult result;
            var keys = RedisKeys.For(space);
            try
            {
                if (_minReplicas == 0)
                {
                    result = await EvaluateAsync(RedisScripts.ApplySha1, RedisScripts.Apply, keys, values).ConfigureAwait(false);
                }
                else
                {
                    result = await EvaluateReplicatedAsync(space, keys, values).ConfigureAwait(false);
                }
            }
            catch (RedisServerException ex) when (RefusalOf(ex.Message) is { } refusal)
            {
                throw refusal;
            }
            catch (RedisServerException ex) when (ex.Message.Contains(RedisScripts.ClockOverflowError, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the clock of space '{space}' reached 2^53-1; no further change can be given a seq", ex);
            }
            catch (ReplicationUnconfirmedException ex)
            {
                Log.ReplicationUnconfirmed(_logger, space, writes.Count, ex.Message);
                throw;
            }
            catch (Exception ex)
            {
                _writeRefusal.Observe(ex);
                Log.ApplyFailed(_logger, space, writes.Count, ex);
                throw;
            }

            _writeRefusal.Clear();
            return RedisEntryCodec.ApplyResultOf((RedisResult[])result!);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The store's refusal of a push that the apply script reported as "&lt;code&gt; &lt;number&gt; [&lt;number&gt;]"
    /// (the script's codes are on <see cref="RedisScripts"/>), or null for any other error.
    /// </summary>
    private Exception? RefusalOf(string message)
    {
        var parts = message.Split(' ');
        long Number(int i) => long.Parse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture);
        return parts[0] switch
        {
            RedisScripts.ClockLeadError => new ClockLeadException((int)Number(1), Number(2), ClockLimits.MaxLead),
            RedisScripts.NoteWritesError => NoteLimitException.TooManyWrites((int)Number(1), _noteLimits.MaxWritesPerNote),
            RedisScripts.NoteBytesError => NoteLimitException.TooManyBytes((int)Number(1), Number(2), _noteLimits.MaxNoteBytes),
            RedisScripts.QuotaNotesError => QuotaExceededException.TooManyNotes(Number(1), _quotas.MaxNotes),
            RedisScripts.QuotaBytesError => QuotaExceededException.TooManyBytes(Number(1), _quotas.MaxBytes),
            _ => null,
        };
    }

    /// <inheritdoc />
    public async Task<ChangePage> ReadSinceAsync(string space, long afterSeq, int maxChanges, long maxBytes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckReadSince(space, afterSeq, maxChanges, maxBytes);
        ThrowIfDisposed();

        var result = await EvaluateAsync(RedisScripts.ReadSinceSha1, RedisScripts.ReadSince, RedisKeys.For(space), [afterSeq, maxChanges, maxBytes])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        var clock = RedisEntryCodec.ParseInt64(items[0]);
        var more = (string?)items[1] == "1";
        var epoch = RedisEntryCodec.EpochOf(items[2]);

        // The script cut the page by a lower bound of each entry's size; the exact cut is made here.
        var entries = new List<StoredEntry>((items.Length - 3) / 2);
        var bytes = 0L;
        for (var i = 3; i < items.Length; i += 2)
        {
            var entry = RedisEntryCodec.Decode(items[i], items[i + 1]);
            var size = entry.EstimatedWireBytes;
            if (entries.Count > 0 && bytes + size > maxBytes)
            {
                more = true;
                break;
            }

            bytes += size;
            entries.Add(entry);
        }

        return new ChangePage(entries, more ? entries[^1].Seq : clock, more) { Epoch = epoch };
    }

    /// <inheritdoc />
    public Task<long> GetCursorAsync(string space, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckSpace(space);
        ThrowIfDisposed();
        return ReadClockAsync(space).WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return StoreHealth.NotAnswering;
            }
        }

        try
        {
            await _database.PingAsync().WaitAsync(HealthTimeout, cancellationToken).ConfigureAwait(false);

            // Redis answers PING while it refuses writes (MISCONF, OOM, READONLY), and pushes then get
            // 'unavailable': a node whose pushes were refused so is not ready until a write goes in.
            return await _writeRefusal.ProbeAsync(_database, HealthTimeout, cancellationToken).ConfigureAwait(false) is { } refusal
                ? new StoreHealth(StoreHealth.WritesRefused, refusal)
                : StoreHealth.Healthy;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.HealthCheckFailed(_logger, ex);
            return StoreHealth.NotAnswering;
        }
    }

    /// <summary>
    /// Stops taking pushes, waits for those in flight, then closes the connection if the store owns it.
    /// Later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        bool first;
        lock (_gate)
        {
            first = !_disposed;
            _disposed = true;
            if (_inFlight == 0)
            {
                _drained.TrySetResult();
            }
        }

        await _drained.Task.ConfigureAwait(false);
        if (!first)
        {
            return;
        }

        if (_ownsConnection)
        {
            await _redis.CloseAsync().ConfigureAwait(false);
            await _redis.DisposeAsync().ConfigureAwait(false);
        }

        Log.Closed(_logger);
    }

    private void Enter()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inFlight++;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_inFlight == 0 && _disposed)
            {
                _drained.TrySetResult();
            }
        }
    }

    private void ThrowIfDisposed()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }

    private async Task<long> ReadClockAsync(string space)
    {
        try
        {
            var clock = await _database.StringGetAsync(RedisKeys.For(space)[0], CommandFlags.DemandMaster).ConfigureAwait(false);
            return clock.IsNull ? 0 : (long)clock;
        }
        catch (RedisException ex) when (_slotMap.Observe(ex))
        {
            // Never entered: the filter only starts a refresh of a stale slot map.
            throw;
        }
    }
}
