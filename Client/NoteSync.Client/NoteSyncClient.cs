using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Shared;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// An offline-first NoteSync device. Notes are addressed by <b>path</b> (<c>inbox/todo.md</c>); the key on
/// the wire is <c>note:&lt;path&gt;</c>. Writes land in the local SQLite store (replica, clock, cursor and
/// outbox) before <see cref="PutAsync(string, string, CancellationToken)"/> returns; one background loop, started by <see cref="Start"/>,
/// pushes the outbox in order and applies what the server sends, over the SignalR hub when
/// <see cref="SyncConfig.EnableWebSocket"/> (falling back to polling when the WebSocket cannot be had) or
/// by polling <c>POST /sync</c>. Thread-safe.
/// </summary>
public sealed partial class NoteSyncClient : IAsyncDisposable
{
    private readonly SyncConfig _config;
    private readonly NoteSyncClientOptions _options;
    private readonly ILogger _logger;
    private readonly Uri _baseUri;
    private readonly PollingTransport _polling;
    private readonly PushSizer _sizer;
    private readonly TransferProgress _progress = new();
    private readonly object _gate = new();

    // The reset's progress, queued inside _gate as frames are applied, raised in that order (RaiseResetProgress).
    private readonly Queue<(HistoryResetProgress Progress, string? Epoch, long AckTimestamp)> _resetProgress = new();
    private readonly Lock _resetProgressRaising = new();
    private readonly LocalStore _store;
    private readonly LwwMap _replica = new();
    private readonly LamportClock _clock;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(long AfterRound, TaskCompletionSource Done)> _waiters = [];
    private readonly List<Channel<RemoteChange>> _watchers = [];
    private readonly Random _random = new();
    private long _cursor;
    private string? _epoch;

    // Non-null while a reset is being read: the states the server sent since it began (kept on disk too).
    private LwwMap? _resetSeen;
    private long _resetsFinished;
    private int _outboxDepth;
    private long _roundsStarted;
    private ConnectionStatus _status;
    private Task? _loop;

    // The hub while it is open (the loop's alone); null while polling.
    private HubTransport? _hub;
    private bool _disposed;

    // The writes the server refused for good, as the store holds them (read under _gate).
    private RefusedWrite[] _refused;

    // Set by a live push that could not be stored, thrown by the loop (which drops the connection).
    private Exception? _liveStoreFailure;

    // A 401 is worded by it: a refused token, or none to send to a server with auth on.
    private bool TokenGiven => _options.Token is not null || _options.TokenProvider is not null;

    /// <summary>
    /// Opens (or creates) the local store in <see cref="NoteSyncClientOptions.DataDirectory"/>. Nothing is
    /// sent until <see cref="Start"/>; writes made before are queued.
    /// </summary>
    public NoteSyncClient(SyncConfig config, NoteSyncClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (DeviceIds.CheckOwn(config.DeviceId) is { } deviceError)
        {
            throw new ArgumentException($"SyncConfig.DeviceId: {deviceError}", nameof(config));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(config.SyncIntervalMs, 1, nameof(config));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxChangesPerPush, 1, nameof(options));
        _config = config;
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _baseUri = new Uri(config.SyncEndpoint.ToString().TrimEnd('/') + "/");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPushBytes, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinUploadBytesPerSecond, 1, nameof(options));
        if (options.UploadStallTimeout <= TimeSpan.Zero && options.UploadStallTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "UploadStallTimeout must be positive, or Timeout.InfiniteTimeSpan");
        }

        _polling = new PollingTransport(new Uri(_baseUri, options.PollPath.TrimEnd('/')), config.DeviceId, GetTokenAsync, _progress);
        _sizer = new PushSizer(options, config.DeviceId);
        _store = new LocalStore(options.DataDirectory);
        _store.LoadReplica(_replica);
        _clock = new LamportClock(_store.ReadMeta("clock"));
        _cursor = _store.ReadMeta("last_ack");
        _epoch = _store.ReadEpoch();
        if (_store.ResetInProgress())
        {
            // Stopped in the middle of a reset: the pages applied so far are recorded with the cursor, so the
            // reset goes on from there and ends (re-uploads and all) at the next frame without more.
            _resetSeen = new LwwMap();
            _store.LoadResetSeen(_resetSeen);
        }

        _outboxDepth = _store.OutboxCount();
        _refused = ReadRefused();
        _status = new ConnectionStatus(ConnectionState.Offline, SyncTransport.None, _outboxDepth, false, null) { RefusedWrites = _refused.Length };
    }

    /// <summary>Raised (on a background thread) for each change the server brought into the replica.</summary>
    public event EventHandler<RemoteChange>? RemoteChanged;

    /// <summary>
    /// Raised (on a background thread) as a reset goes: when it starts (the server's history changed: a
    /// restore or a failover), for each further page, and when it ends with the re-uploads queued.
    /// </summary>
    public event EventHandler<HistoryResetProgress>? HistoryReset;

    /// <summary>Raised (on a background thread) whenever <see cref="Status"/> changes.</summary>
    public event EventHandler<ConnectionStatus>? StatusChanged;

    /// <summary>
    /// Raised (on a background thread) when the server refuses a write for good: it is set aside in the
    /// outbox (<see cref="Refused"/>) and the rest of the outbox goes on without it.
    /// </summary>
    public event EventHandler<RefusedWrite>? WriteRefused;

    /// <summary>
    /// The writes the server refused for good (<c>bad_request</c>, <c>too_large</c>, HTTP 400 or 413), oldest
    /// first, with its reasons. They stay in the outbox but are not sent again; writing the note again
    /// replaces its refused write and sends the new one.
    /// </summary>
    public IReadOnlyList<RefusedWrite> Refused
    {
        get
        {
            lock (_gate)
            {
                return _refused;
            }
        }
    }

    /// <summary>The connection's current state, transport and outbox depth.</summary>
    public ConnectionStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>The cursor: the greatest <c>ack_timestamp</c> applied, persisted as <c>last_ack</c>.</summary>
    public long LastAck
    {
        get
        {
            lock (_gate)
            {
                return _cursor;
            }
        }
    }

    /// <summary>The epoch (the name of the server's history) <see cref="LastAck"/> belongs to; null until the server named one.</summary>
    public string? Epoch
    {
        get
        {
            lock (_gate)
            {
                return _epoch;
            }
        }
    }

    /// <summary>True while a reset is being read (from its first frame to the last page, when the re-uploads are queued).</summary>
    public bool IsResetting
    {
        get
        {
            lock (_gate)
            {
                return _resetSeen is not null;
            }
        }
    }

    /// <summary>The device's Lamport clock.</summary>
    public long Clock => _clock.Current;

    /// <summary>Where tests reach into the sync; nothing sets them in production.</summary>
    internal SyncHooks Hooks { get; } = new();

    /// <summary>Starts the background sync loop. Calling it twice is a no-op.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> to the note at <paramref name="path"/>, durably in the local store, and queues it.
    /// The write is an edit of the versions the replica holds (its <c>base</c>, docs/protocol.md §2.2): it replaces
    /// them, and an edit made elsewhere without seeing them is kept beside it as a conflict whatever the clocks.
    /// </summary>
    public Task PutAsync(string path, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WriteAsync(path, value, cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="value"/> to the note at <paramref name="path"/> as an edit of the versions in
    /// <paramref name="editedFrom"/>: the heads the note had when the edit began (<see cref="GetHeads"/> then),
    /// for a text edited outside this library, such as a file on disk while no sync ran. It replaces those
    /// versions and nothing else, so a version the replica has received since, which the edit did not see, stays
    /// beside it as a conflict, or is merged with it by the server (docs/protocol.md §2.3), whatever the clocks.
    /// </summary>
    /// <exception cref="ArgumentException">More than <see cref="ProtocolLimits.MaxBaseVersions"/> versions, or one
    /// that cannot name a write (a timestamp out of range, an invalid device id).</exception>
    public Task PutAsync(string path, string value, IReadOnlyList<NoteVersionId> editedFrom, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var @base = WriteBase.Named(editedFrom, nameof(editedFrom));
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal([new LocalWrite(KeyOf(path), value, null, @base)]);
        return Task.CompletedTask;
    }

    /// <summary>Deletes the note at <paramref name="path"/> (a tombstone that syncs like any write).</summary>
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => WriteAsync(path, null, cancellationToken);

    /// <summary>
    /// Resolves a conflict on <paramref name="path"/>: writes <paramref name="value"/> (null deletes) as an edit of
    /// the winner and every sibling, which clears them on every device once synced.
    /// </summary>
    /// <remarks>
    /// It is an ordinary write: like every local write its <c>base</c> names every head the replica holds
    /// (docs/protocol.md §2.2), siblings with a lower timestamp than the winner's included, so it replaces them
    /// all; a version written meanwhile on a device that had not seen them stays, as a new conflict.
    /// </remarks>
    public Task ResolveAsync(string path, string? value, CancellationToken cancellationToken = default) => WriteAsync(path, value, cancellationToken);

    /// <summary>
    /// Writes several notes in order (a null value deletes), as <see cref="PutAsync(string, string, CancellationToken)"/> and
    /// <see cref="DeleteAsync"/> would one by one, but in one local transaction: one disk flush for all,
    /// so thousands of notes (a folder's first upload) go into the outbox in well under a second. Every
    /// path is checked first; a bad one throws <see cref="ArgumentException"/> and nothing is written.
    /// </summary>
    public Task WriteManyAsync(IReadOnlyList<KeyValuePair<string, string?>> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal([.. writes.Select(w => new LocalWrite(KeyOf(w.Key), w.Value, null, null))]);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A write of <paramref name="value"/> (null deletes) with a chosen timestamp, for tests: two devices writing at
    /// one timestamp make a conflict. A timestamp not above every head's goes without base (the server refuses a
    /// base naming a version that is not older), under the timestamp rule alone.
    /// </summary>
    internal Task WriteWithTimestampAsync(string path, string? value, long timestamp)
    {
        WriteLocal(path, value, timestamp);
        return Task.CompletedTask;
    }

    private Task WriteAsync(string path, string? value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal(path, value, forcedTimestamp: null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Pushes the outbox and pulls; completes once the server acknowledged every write queued before the
    /// call and the replica caught up with the server's cursor. Throws <see cref="TokenRefusedException"/>
    /// when the token is refused; otherwise waits through outages (bound it with <paramref name="cancellationToken"/>).
    /// </summary>
    public async Task SyncNowAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loop is null)
            {
                throw new InvalidOperationException("call Start() first");
            }

            if (_status.State == ConnectionState.Unauthorized)
            {
                throw TokenRefusedException.Of(TokenGiven, $"401; the client retries in at most {_options.UnauthorizedRetryDelay.TotalSeconds} s");
            }

            _waiters.Add((_roundsStarted, done));
        }

        _wake.Release();
        try
        {
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: forget the waiter, so calls bounded by timeouts during a long outage do not pile up.
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Done == done);
            }

            throw;
        }
    }

    /// <summary>Stops the loop and closes the connection and the store. The outbox stays on disk for the next client.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            loop = _loop;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutdown, not failure.
            }
        }

        await DropHubAsync().ConfigureAwait(false);
        List<TaskCompletionSource> waiters;
        lock (_gate)
        {
            _disposed = true;
            waiters = [.. _waiters.Select(w => w.Done)];
            _waiters.Clear();
            foreach (var w in _watchers)
            {
                w.Writer.TryComplete();
            }

            _store.Dispose();
            UpdateStatusLocked(_status with { State = ConnectionState.Offline });
        }

        foreach (var w in waiters)
        {
            w.TrySetException(new ObjectDisposedException(nameof(NoteSyncClient)));
        }

        RaisePendingStatus();
        await _polling.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
