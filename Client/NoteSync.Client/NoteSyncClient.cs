using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Shared;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// An offline-first NoteSync device. Notes are addressed by <b>path</b> (<c>inbox/todo.md</c>); the key on
/// the wire is <c>note:&lt;path&gt;</c>. Writes land in the local SQLite store (replica, clock, cursor and
/// outbox) before <see cref="PutAsync"/> returns; one background loop, started by <see cref="Start"/>,
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
    private readonly HttpClient _http;
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
    private HubConnection? _hub;
    private bool _disposed;

    // The server's limits as its last answer told them; null until one did (or from a server that does not).
    private SyncLimits? _limits;

    // The writes the server refused for good, as the store holds them (read under _gate).
    private RefusedWrite[] _refused;

    // The most bytes of changes per push: MaxPushBytes, halved after a push timed out or was cut (under _gate).
    private long _pushBytes;

    // While a refused batch is halved to find the write refused: the most writes in the next push (loop only).
    private int? _isolateCap;

    // A push was lost before the server told its limits: pull first to learn them (under _gate).
    private bool _learnLimitsFirst;

    // Set by a live push that could not be stored, thrown by the loop (which drops the connection).
    private Exception? _liveStoreFailure;

    /// <summary>
    /// Opens (or creates) the local store in <see cref="NoteSyncClientOptions.DataDirectory"/>. Nothing is
    /// sent until <see cref="Start"/>; writes made before are queued.
    /// </summary>
    public NoteSyncClient(SyncConfig config, NoteSyncClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (DeviceIds.Check(config.DeviceId) is { } deviceError)
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

        // Each push has its own deadline, which grows with its size (PushOnceAsync); HttpClient's fixed one would cut a large upload.
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
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
        _pushBytes = options.MaxPushBytes;
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

    /// <summary>Test hook: sees every push just before it is sent.</summary>
    internal Action<SyncPush>? OnPushSending { get; set; }

    /// <summary>Test hook: called with each frame just before its transaction; throw to fail the save (as a full disk would).</summary>
    internal Action<SyncAck>? BeforeFrameStored { get; set; }

    /// <summary>Test hook: return true to lose an answer after the server applied the push (as if the connection dropped).</summary>
    internal Func<SyncAck, bool>? LoseAck { get; set; }

    /// <summary>Starts the background sync loop. Calling it twice is a no-op.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>Writes <paramref name="value"/> to the note at <paramref name="path"/>, durably in the local store, and queues it.</summary>
    public Task PutAsync(string path, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal(path, value, forcedTimestamp: null);
        return Task.CompletedTask;
    }

    /// <summary>Deletes the note at <paramref name="path"/> (a tombstone that syncs like any write).</summary>
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal(path, null, forcedTimestamp: null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Resolves a conflict on <paramref name="path"/>: writes <paramref name="value"/> (null deletes) with a
    /// timestamp above the conflict's, which clears the siblings on every device once synced.
    /// </summary>
    public Task ResolveAsync(string path, string? value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal(path, value, forcedTimestamp: null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes several notes in order (a null value deletes), as <see cref="PutAsync"/> and
    /// <see cref="DeleteAsync"/> would one by one, but in one local transaction: one disk flush for all,
    /// so thousands of notes (a folder's first upload) go into the outbox in well under a second. Every
    /// path is checked first; a bad one throws <see cref="ArgumentException"/> and nothing is written.
    /// </summary>
    public Task WriteManyAsync(IReadOnlyList<KeyValuePair<string, string?>> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        cancellationToken.ThrowIfCancellationRequested();
        WriteLocal([.. writes.Select(w => (KeyOf(w.Key), w.Value, (long?)null))]);
        return Task.CompletedTask;
    }

    /// <summary>Test hook: a write with a chosen timestamp (two devices writing at one timestamp make a conflict).</summary>
    internal Task PutWithTimestampAsync(string path, string? value, long timestamp)
    {
        WriteLocal(path, value, timestamp);
        return Task.CompletedTask;
    }

    /// <summary>The note's content (the winner's), or null when it does not exist or is deleted.</summary>
    public string? Get(string path)
    {
        var key = ReadKeyOf(path);
        lock (_gate)
        {
            return _replica.Get(key)?.Winner.Value;
        }
    }

    /// <summary>The note's winning write (content, timestamp, device; a null content is a delete), or null when the replica has never seen it.</summary>
    public NoteVersion? GetVersion(string path)
    {
        var key = ReadKeyOf(path);
        lock (_gate)
        {
            return _replica.Get(key) is { } state ? ToVersion(state.Winner) : null;
        }
    }

    /// <summary>The paths of existing (not deleted) notes starting with <paramref name="prefix"/>, sorted ordinally.</summary>
    public IReadOnlyList<string> List(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var keyPrefix = ProtocolLimits.KeyPrefix + prefix;
        lock (_gate)
        {
            return [.. _replica.Entries
                .Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal) && e.Value.Winner.Value is not null)
                .Select(e => e.Key[ProtocolLimits.KeyPrefix.Length..])
                .Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Every note in conflict, by path.</summary>
    public IReadOnlyList<NoteConflict> GetConflicts()
    {
        lock (_gate)
        {
            return [.. _replica.Entries
                .Where(e => e.Value.IsConflict)
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => new NoteConflict(
                    e.Key[ProtocolLimits.KeyPrefix.Length..],
                    ToVersion(e.Value.Winner),
                    [.. e.Value.Siblings.Select(ToVersion)]))];
        }
    }

    /// <summary>The remote changes from now on, until <paramref name="cancellationToken"/> or disposal.</summary>
    public async IAsyncEnumerable<RemoteChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<RemoteChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
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
                throw new TokenRefusedException($"the server refused the token (401); the client retries in at most {_options.UnauthorizedRetryDelay.TotalSeconds} s");
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

    private void WriteLocal(string path, string? value, long? forcedTimestamp) => WriteLocal([(KeyOf(path), value, forcedTimestamp)]);

    private void WriteLocal(IReadOnlyList<(string Key, string? Value, long? ForcedTimestamp)> writes)
    {
        if (writes.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var (_, _, forced) in writes)
            {
                if (forced is { } f)
                {
                    ArgumentOutOfRangeException.ThrowIfLessThan(f, 1);
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(f, ProtocolLimits.MaxTimestamp);
                }
            }

            // States as they will be after each write, a key written twice seeing its first write.
            var after = new Dictionary<string, EntryState>(StringComparer.Ordinal);
            var stored = new List<(string Key, Write Write, EntryState State)>(writes.Count);
            foreach (var (key, value, forced) in writes)
            {
                var before = after.TryGetValue(key, out var pending) ? pending : _replica.Get(key);
                long timestamp;
                if (forced is { } f)
                {
                    _clock.Observe(f);
                    timestamp = f;
                }
                else
                {
                    // The clock has observed every timestamp applied, so a tick beats the entry (and its conflict).
                    _clock.Observe(before?.Timestamp ?? 0);
                    timestamp = _clock.Tick();
                }

                var write = new Write(timestamp, _config.DeviceId, value);
                var state = LwwMerge.Merge(before, write, out _);
                after[key] = state;
                stored.Add((key, write, state));
            }

            // Should the store throw, nothing was written; the clock may have moved on, which a Lamport clock allows.
            _store.AddLocalWrites(stored, _clock.Current);
            var hadRefused = _refused.Length > 0;
            if (hadRefused)
            {
                // A refused write of a key written again is gone, replaced by the new one.
                _refused = ReadRefused();
            }

            foreach (var (key, write, _) in stored)
            {
                _replica.Apply(key, write);
            }

            _outboxDepth = hadRefused ? _store.OutboxCount() : _outboxDepth + stored.Count;
            UpdateStatusLocked(_status with { OutboxDepth = _outboxDepth, RefusedWrites = _refused.Length });
        }

        RaisePendingStatus();
        _wake.Release();
    }

    /// <summary>
    /// The key a write of <paramref name="path"/> goes under, which must pass the server's key rule
    /// (docs/protocol.md §1). A path is not normalized here: it is the caller's handle on the note too,
    /// and <see cref="Get"/> with the path as given must find what was written (docs/client.md, "Paths, not keys").
    /// </summary>
    private static string KeyOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var key = ProtocolLimits.KeyPrefix + path;
        if (PushValidator.KeyError(key) is { } error)
        {
            var hint = error == KeyCharacters.NotNormalized ? " (path.Normalize() gives that form)" : "";
            throw new ArgumentException($"the key of path '{PrintableText.Escape(path)}' {error}{hint}", nameof(path));
        }

        return key;
    }

    // Reads take any path: a server keeps serving keys it took before the key rule, and List() names them.
    private static string ReadKeyOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ProtocolLimits.KeyPrefix + path;
    }

    private static NoteVersion ToVersion(Write w) => new(w.Value, w.Timestamp, w.DeviceId);

    /// <summary>
    /// Applies a frame from the server (an answer or a live push) in one transaction; raises its remote
    /// changes. A reset (<c>reset</c> on the frame, or <paramref name="serverBehind"/>: an answer below the
    /// push's <c>last_ack</c> from a server that names no reset) replaces cursor and epoch and starts
    /// recording what the server sends; the first frame without <c>more</c> after that ends the reset and
    /// queues the re-uploads (<see cref="ReuploadPlan"/>) in the same commit. On a reset the outbox is left
    /// as it is, <paramref name="ackedUpToId"/> included: its writes go again under the new history.
    /// </summary>
    private void ApplyFrame(SyncAck ack, long? ackedUpToId, bool serverBehind = false)
    {
        var remote = new List<RemoteChange>();
        List<Channel<RemoteChange>> watchers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (ack.Limits is { } limits)
            {
                _limits = limits;
            }

            var begins = ack.Reset || serverBehind;
            if (begins)
            {
                ackedUpToId = null;
            }

            // The reset's record as it stands before this frame (a new, empty one when the frame begins it).
            var collecting = begins ? new LwwMap() : _resetSeen;

            // The states after this frame, kept aside: the replica and the reset's record take them only once
            // they are stored, so a failed save leaves memory as the store has it, and the frame comes again.
            var next = new Dictionary<string, EntryState>(StringComparer.Ordinal);
            var seenNext = new Dictionary<string, EntryState>(StringComparer.Ordinal);
            _clock.Observe(ack.AckTimestamp);
            foreach (var change in ack.Changes)
            {
                _clock.Observe(change.Timestamp);
                var sent = EntryState.OfWrites(EntryState.WritesOf(change));
                if (collecting is not null)
                {
                    seenNext[change.Key] = LwwMerge.Join(seenNext.GetValueOrDefault(change.Key) ?? collecting.Get(change.Key), sent, out _);
                }

                var state = LwwMerge.Join(next.GetValueOrDefault(change.Key) ?? _replica.Get(change.Key), sent, out var changed);
                if (changed)
                {
                    next[change.Key] = state;
                    var winner = state.Winner;
                    remote.Add(new RemoteChange(change.Key[ProtocolLimits.KeyPrefix.Length..], winner.Value, winner.Timestamp, winner.DeviceId, state.IsConflict)
                    {
                        LostLocalWrite = LostLocalWrite(change.Key, state),
                    });
                }
            }

            // The cursor never moves back, except on a reset: the reset's cursor is a position in the new
            // history, and the old one (even if higher) means nothing there. A server that names no reset
            // but answers below our cursor is read again from 0.
            var cursor = ack.Reset ? ack.AckTimestamp : serverBehind ? 0 : Math.Max(_cursor, ack.AckTimestamp);
            EpochUpdate? epoch = null;
            if (begins && !string.Equals(ack.Epoch, _epoch, StringComparison.Ordinal))
            {
                epoch = new EpochUpdate(ack.Epoch);
            }
            else if (_epoch is null && ack.Epoch is not null)
            {
                // A store from before epochs, or a space that had none: adopt the server's. A frame naming a
                // different epoch is not adopted outside a reset; our next push sends ours and gets the reset.
                epoch = new EpochUpdate(ack.Epoch);
            }

            ResetStep? step = null;
            var progress = new List<HistoryResetProgress>(2);
            if (collecting is not null)
            {
                var seenCount = collecting.Count + seenNext.Keys.Count(k => collecting.Get(k) is null);
                progress.Add(new HistoryResetProgress(begins ? HistoryResetPhase.Started : HistoryResetPhase.Reading, seenCount, 0, 0));
                if (!ack.More && !serverBehind)
                {
                    var reupload = ReuploadPlan.Compute(Overlay(_replica.Entries, next), Overlay(collecting.Entries, seenNext));
                    step = new ResetStep(begins, [], reupload);
                    progress.Add(new HistoryResetProgress(HistoryResetPhase.Finished, seenCount, reupload.Select(r => r.Key).Distinct(StringComparer.Ordinal).Count(), reupload.Count));
                }
                else
                {
                    step = new ResetStep(begins, [.. seenNext.Select(e => (e.Key, e.Value))], null);
                }
            }

            BeforeFrameStored?.Invoke(ack);
            _store.ApplyFrame([.. next.Select(e => (e.Key, e.Value))], _clock.Current, cursor, ackedUpToId, epoch, step);

            // Stored: now memory follows.
            foreach (var (key, state) in next)
            {
                _replica.Apply(key, state);
            }

            if (collecting is not null)
            {
                foreach (var (key, state) in seenNext)
                {
                    collecting.Apply(key, state);
                }
            }

            _resetSeen = step?.Reupload is null ? collecting : null;
            if (step?.Reupload is not null)
            {
                _resetsFinished++;
            }

            foreach (var p in progress)
            {
                _resetProgress.Enqueue((p, ack.Epoch, ack.AckTimestamp));
            }

            _cursor = cursor;
            if (epoch is { } e)
            {
                _epoch = e.Epoch;
            }

            if (ackedUpToId is not null || step?.Reupload is { Count: > 0 })
            {
                _outboxDepth = _store.OutboxCount();
                UpdateStatusLocked(_status with { OutboxDepth = _outboxDepth });
            }

            watchers = [.. _watchers];
        }

        RaisePendingStatus();
        RaiseResetProgress();

        foreach (var change in remote)
        {
            RemoteChanged?.Invoke(this, change);
            foreach (var w in watchers)
            {
                w.Writer.TryWrite(change);
            }
        }
    }

    /// <summary>A copy of <paramref name="entries"/> with <paramref name="changes"/> laid over it.</summary>
    private static Dictionary<string, EntryState> Overlay(IReadOnlyDictionary<string, EntryState> entries, Dictionary<string, EntryState> changes)
    {
        var merged = new Dictionary<string, EntryState>(entries, StringComparer.Ordinal);
        foreach (var (key, state) in changes)
        {
            merged[key] = state;
        }

        return merged;
    }

    /// <summary>
    /// Raises the reset's progress in the order the frames were applied. Frames are applied on more than
    /// one thread (an answer, and a live push over the hub), so each thread raising its own events after
    /// leaving the gate could report Reading before Started; the queue is filled inside the gate, and one
    /// thread at a time empties it.
    /// </summary>
    private void RaiseResetProgress()
    {
        lock (_resetProgressRaising)
        {
            while (true)
            {
                (HistoryResetProgress Progress, string? Epoch, long AckTimestamp) next;
                lock (_gate)
                {
                    if (!_resetProgress.TryDequeue(out next))
                    {
                        return;
                    }
                }

                var p = next.Progress;
                if (p.Phase == HistoryResetPhase.Started)
                {
                    Log.HistoryReset(_logger, next.Epoch ?? "(none)", next.AckTimestamp);
                }
                else if (p.Phase == HistoryResetPhase.Finished)
                {
                    Log.ResetRead(_logger, p.NotesReceived, p.NotesToReupload, p.WritesToReupload);

                    // Over the hub the last page may come as a live push: wake the loop to push the re-uploads.
                    ReleaseWake();
                }

                HistoryReset?.Invoke(this, p);
            }
        }
    }

    /// <summary>Sets a write the server refused for good aside (see <see cref="Refused"/>) and says so; the cursor stays.</summary>
    private RefusedWrite? MarkRefused(OutboxItem item, string code, string reason)
    {
        RefusedWrite? refused;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            _store.MarkRefused(item.Id, code, reason);
            _refused = ReadRefused();
            refused = _refused.LastOrDefault(r => r.Timestamp == item.Timestamp && ProtocolLimits.KeyPrefix + r.Path == item.Key);
            UpdateStatusLocked(_status with { RefusedWrites = _refused.Length });
        }

        RaisePendingStatus();
        if (refused is not null)
        {
            WriteRefused?.Invoke(this, refused);
        }

        return refused;
    }

    private RefusedWrite[] ReadRefused() =>
        [.. _store.ReadRefused().Select(r => new RefusedWrite(r.Key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal) ? r.Key[ProtocolLimits.KeyPrefix.Length..] : r.Key, r.Timestamp, r.Code, r.Reason))];

    /// <summary>
    /// Read before the frame's transaction removes acknowledged writes from the outbox, so a write this
    /// very answer acknowledged still counts: it reached the server after the write that beat it.
    /// </summary>
    private NoteVersion? LostLocalWrite(string key, EntryState state)
    {
        if (_store.LatestPendingWrite(key, _config.DeviceId) is not { } pending
            || state.Writes.Contains(pending)
            || string.Equals(pending.Value, state.Winner.Value, StringComparison.Ordinal))
        {
            return null;
        }

        return ToVersion(pending);
    }

    // Statuses changed under the lock, raised outside it (a handler must not run under the lock), in order, none dropped.
    private readonly Queue<ConnectionStatus> _pendingStatuses = new();

    private void UpdateStatusLocked(ConnectionStatus next)
    {
        if (next != _status)
        {
            _status = next;
            _pendingStatuses.Enqueue(next);
        }
    }

    private void SetStatus(ConnectionState state, SyncTransport transport, bool fellBack, string? error)
    {
        lock (_gate)
        {
            UpdateStatusLocked(new ConnectionStatus(state, transport, _outboxDepth, fellBack, error) { RefusedWrites = _refused.Length });
        }

        RaisePendingStatus();
    }

    private void RaisePendingStatus()
    {
        ConnectionStatus[] pending;
        lock (_gate)
        {
            if (_pendingStatuses.Count == 0)
            {
                return;
            }

            pending = [.. _pendingStatuses];
            _pendingStatuses.Clear();
        }

        foreach (var status in pending)
        {
            StatusChanged?.Invoke(this, status);
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
        _http.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }
}
