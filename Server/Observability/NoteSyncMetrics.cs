using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NoteSync.Server.Observability;

/// <summary>
/// The server's instruments, on one <see cref="Meter"/> named <see cref="MeterName"/>. They record
/// whether or not metrics are exported (<c>NoteSync:Metrics:Enabled</c>): with no listener an instrument
/// is a flag check, so the hot paths need no switch of their own. Tags are allocated once, here.
/// </summary>
internal sealed class NoteSyncMetrics
{
    /// <summary>The meter's name, which the exporter subscribes to.</summary>
    public const string MeterName = "NoteSync";

    private static readonly KeyValuePair<string, object?> WebSocketTag = new("transport", "ws");
    private static readonly KeyValuePair<string, object?> HubTag = new("transport", "hub");
    private static readonly KeyValuePair<string, object?> AckedTag = new("outcome", "acked");
    private static readonly KeyValuePair<string, object?> RefusedTag = new("outcome", "refused");
    private static readonly KeyValuePair<string, object?> UnavailableTag = new("outcome", "unavailable");

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _pushes;
    private readonly Counter<long> _changesMerged;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _autoMerged;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _deliveryLatency;
    private readonly Counter<long> _devicesCut;
    private readonly Histogram<double> _redisRoundTrip;
    private readonly Counter<long> _gapsRepaired;
    private readonly Counter<long> _resets;

    public NoteSyncMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);

        // The factory owns the meter and disposes it with the container.
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("notesync.connections", "{connection}", "Open live connections, by transport (ws, hub).");
        _pushes = meter.CreateCounter<long>("notesync.pushes", "{push}", "Pushes answered, by outcome (acked, refused, unavailable).");
        _changesMerged = meter.CreateCounter<long>("notesync.changes.merged", "{change}", "Entries a commit changed.");
        _conflicts = meter.CreateCounter<long>("notesync.conflicts", "{change}", "Changed entries left in conflict (edits that did not see each other, or writes with equal timestamps).");
        _autoMerged = meter.CreateCounter<long>("notesync.conflicts.auto_merged", "{change}", "Conflicts of two edits the server merged line by line (NoteSync:Sync:AutoMerge).");
        _commitDuration = meter.CreateHistogram<double>("notesync.store.commit.duration", "ms", "Time of one store commit (merge and durable write) of a push.");
        _deliveryLatency = meter.CreateHistogram<double>("notesync.delivery.latency", "ms", "From a commit returning to its live push being written to a device's connection.");
        _devicesCut = meter.CreateCounter<long>("notesync.devices.cut", "{device}", "Devices disconnected because they read nothing for NoteSync:Limits:SendStallMs while frames waited for them (they stopped reading).");
        _redisRoundTrip = meter.CreateHistogram<double>("notesync.redis.roundtrip", "ms", "Round trip of a Redis PING, once per head check (Store=redis only).");
        _resets = meter.CreateCounter<long>("notesync.resets", "{push}", "Answers that reset a device: its cursor named a history the space no longer has (a restore, a lossy failover).");
        _gapsRepaired = meter.CreateCounter<long>("notesync.doorbell.gaps_repaired", "{gap}", "Head checks that found a space's clock moved with no doorbell message heard, and rang it.");
    }

    public void WebSocketOpened() => _connections.Add(1, WebSocketTag);

    public void WebSocketClosed() => _connections.Add(-1, WebSocketTag);

    public void HubOpened() => _connections.Add(1, HubTag);

    public void HubClosed() => _connections.Add(-1, HubTag);

    public void PushAcked() => _pushes.Add(1, AckedTag);

    public void PushRefused() => _pushes.Add(1, RefusedTag);

    public void PushUnavailable() => _pushes.Add(1, UnavailableTag);

    /// <summary>Conflicts the automatic merge resolved.</summary>
    public void AutoMerged(int notes) => _autoMerged.Add(notes);

    /// <summary>A commit that changed <paramref name="changed"/> entries, <paramref name="conflicts"/> of them now in conflict.</summary>
    public void Merged(int changed, int conflicts)
    {
        _changesMerged.Add(changed);
        if (conflicts > 0)
        {
            _conflicts.Add(conflicts);
        }
    }

    /// <summary>A store commit that started at <paramref name="started"/> (<see cref="Stopwatch.GetTimestamp"/>) and ended at <paramref name="ended"/>.</summary>
    public void Committed(long started, long ended) =>
        _commitDuration.Record(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);

    /// <summary>A live push of the commit that returned at <paramref name="committedAt"/> was just written.</summary>
    public void Delivered(long committedAt) =>
        _deliveryLatency.Record(Stopwatch.GetElapsedTime(committedAt).TotalMilliseconds);

    public void DeviceCut() => _devicesCut.Add(1);

    public void RedisRoundTrip(TimeSpan roundTrip) => _redisRoundTrip.Record(roundTrip.TotalMilliseconds);

    public void GapRepaired() => _gapsRepaired.Add(1);

    public void Reset() => _resets.Add(1);
}
