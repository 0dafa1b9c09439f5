using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A device as a client following docs/protocol.md §8 would be: a replica of the space, a Lamport clock and a
/// cursor, fed by every sync_ack it receives (answers and live pushes alike). Transports derive from it.
/// </summary>
internal abstract class TestDevice(string deviceId) : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly Lock _lock = new();
    private readonly LwwMap _replica = new();
    private readonly List<ReceivedAck> _ackFrames = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextRequest;

    public string DeviceId { get; } = deviceId;

    public LamportClock Clock { get; } = new();

    public long Cursor { get; private set; }

    /// <summary>Every ack_timestamp received in wire order (see <see cref="Apply"/>).</summary>
    public IReadOnlyList<long> AckTimestamps => [.. AckFrames.Select(f => f.AckTimestamp)];

    /// <summary>Sees every sync_ack this device receives, before it is applied (e.g. to check each change's origin).</summary>
    public Action<SyncAck>? AckObserver { get; set; }

    /// <summary>Every frame received in wire order, with whether it was a <c>more</c> page (see <see cref="Apply"/>).</summary>
    public IReadOnlyList<ReceivedAck> AckFrames
    {
        get
        {
            lock (_lock)
            {
                return [.. _ackFrames];
            }
        }
    }

    /// <summary>How many changes were received in all frames (duplicates included).</summary>
    public int ChangesReceived { get; private set; }

    /// <summary>Applies the push's writes to the replica (a client holds its own writes), then sends it.</summary>
    public Task<SyncAck> PushAsync(SyncPush push, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var c in push.Changes)
            {
                var write = new Write(c.Timestamp, c.DeviceId ?? DeviceId, c.Value);
                if (c.Base is { } b)
                {
                    _replica.Apply(c.Key, write, [.. b.Select(v => new VersionId(v.Timestamp, v.DeviceId))]);
                }
                else
                {
                    _replica.Apply(c.Key, write);
                }
            }
        }

        return SendPushAsync(push, cancellationToken);
    }

    /// <summary>Sends a push over the transport and returns its ack (applied to the replica).</summary>
    protected abstract Task<SyncAck> SendPushAsync(SyncPush push, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public string NextRequestId() => $"{DeviceId}-r{Interlocked.Increment(ref _nextRequest)}";

    /// <summary>Writes <paramref name="value"/> (null: delete) at the next tick of the clock, or at <paramref name="timestamp"/>.</summary>
    public Task<SyncAck> PutAsync(string key, string? value, long? timestamp = null) =>
        PushAsync(NewPush(new Change { Key = key, Value = value, Timestamp = timestamp ?? Clock.Tick(), DeviceId = DeviceId }));

    /// <summary>
    /// Writes <paramref name="value"/> as an edit of what the replica holds (docs/protocol.md §2.2): its base is
    /// every head of the key (none for a new note), its timestamp the next tick, or <paramref name="timestamp"/>.
    /// </summary>
    public Task<SyncAck> EditAsync(string key, string? value, long? timestamp = null) =>
        PushAsync(NewPush(EditOf(key, value, timestamp)));

    /// <summary>The change <see cref="EditAsync"/> sends, for a push built by hand.</summary>
    public Change EditOf(string key, string? value, long? timestamp = null)
    {
        var heads = StateOf(key)?.Writes.ToArray() ?? [];
        return new Change
        {
            Key = key,
            Value = value,
            Timestamp = timestamp ?? Clock.Tick(),
            DeviceId = DeviceId,
            Base = [.. heads.Select(h => new VersionRef { Timestamp = h.Timestamp, DeviceId = h.DeviceId })],
        };
    }

    /// <summary>Writes several notes in one push.</summary>
    public Task<SyncAck> PutManyAsync(IEnumerable<(string Key, string? Value)> notes) =>
        PushAsync(NewPush([.. notes.Select(n => new Change { Key = n.Key, Value = n.Value, Timestamp = Clock.Tick(), DeviceId = DeviceId })]));

    /// <summary>A pure pull from the device's cursor.</summary>
    public Task<SyncAck> PullAsync() => PushAsync(NewPush());

    public SyncPush NewPush(params Change[] changes) =>
        new() { Changes = [.. changes], LastAck = Cursor, RequestId = NextRequestId() };

    public EntryState? StateOf(string key)
    {
        lock (_lock)
        {
            return _replica.Get(key);
        }
    }

    public string? ValueOf(string key) => StateOf(key)?.Winner.Value;

    /// <summary>The replica as key -> full state (siblings and tombstones included), copied.</summary>
    public Dictionary<string, EntryState> Entries()
    {
        lock (_lock)
        {
            return new Dictionary<string, EntryState>(_replica.Entries, StringComparer.Ordinal);
        }
    }

    /// <summary>The replica as key -> winning value, tombstones left out.</summary>
    public Dictionary<string, string> Snapshot()
    {
        lock (_lock)
        {
            return _replica.Entries.Where(e => e.Value.Winner.Value is not null)
                .ToDictionary(e => e.Key, e => e.Value.Winner.Value!, StringComparer.Ordinal);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds on this device (checked after every frame).</summary>
    public async Task WaitUntilAsync(Func<TestDevice, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"device {DeviceId}: timed out waiting for {what}");
            }

            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // Checked once more at the top of the loop, then reported.
            }
        }
    }

    public Task WaitForValueAsync(string key, string? value, TimeSpan? timeout = null) =>
        WaitUntilAsync(d => d.StateOf(key) is { } s && s.Winner.Value == value, $"{key} = {value ?? "(deleted)"}", timeout);

    /// <summary>
    /// Applies one received sync_ack, as a client of docs/protocol.md does. <paramref name="inWireOrder"/> is false
    /// where the client library hands frames over out of their wire order (SignalR resolves an
    /// invocation's result on another thread than the one raising <c>Changes</c>); only frames in
    /// wire order are recorded in <see cref="AckFrames"/>.
    /// </summary>
    protected void Apply(SyncAck ack, bool inWireOrder = true)
    {
        AckObserver?.Invoke(ack);
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (inWireOrder)
            {
                _ackFrames.Add(new ReceivedAck(ack.AckTimestamp, ack.More, ack.RequestId));
            }

            Cursor = Math.Max(Cursor, ack.AckTimestamp);
            Clock.Observe(ack.AckTimestamp);
            foreach (var change in ack.Changes)
            {
                Clock.Observe(change.Timestamp);
                _replica.Apply(change.Key, EntryState.FromChange(change));
                ChangesReceived++;
            }

            signal = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }
}
