using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// Counts fan-out deliveries: one slot per (write, other device of the writer's group). Each slot is
/// only ever touched by its receiving device's receive loop, so slots need no lock; the shared
/// counters are interlocked and latency samples are kept per receiving device. In scale-out runs the
/// samples from scheduled send are also split by whether writer and receiver are on the same node.
/// </summary>
internal sealed class DeliveryTracker : IDeviceObserver
{
    private readonly int _devicesPerGroup;
    private readonly int _deviceCount;
    private readonly long _warmupWrites;
    private readonly long[] _scheduled;
    private readonly long[] _sent;
    private readonly byte[] _got;
    private readonly LatencySamples[] _fromScheduled;
    private readonly LatencySamples[] _fromSent;
    private readonly LatencySamples[] _sameNode;
    private readonly LatencySamples[] _crossNode;
    private readonly int[] _nodeOf;
    private readonly Func<long, int> _writerOf;
    private readonly long[] _lastArrival;
    private long _delivered;
    private long _measuredDelivered;
    private long _duplicates;
    private long _otherGroup;
    private long _unknownMarker;

    /// <param name="p">The run's shape.</param>
    /// <param name="scheduled">Scheduled send of each write, by write index (filled before the first write).</param>
    /// <param name="nodeOf">The server node of each device, by device index (all 0 with one node).</param>
    /// <param name="writerOf">The device that makes write <c>i</c>; by default <c>i mod (groups x devices)</c>, the fan-out's schedule.</param>
    public DeliveryTracker(FanoutParams p, long[] scheduled, int[] nodeOf, Func<long, int>? writerOf = null)
    {
        var deviceCount = p.DeviceCount;
        _writerOf = writerOf ?? (i => (int)(i % deviceCount));
        _devicesPerGroup = p.Devices;
        _deviceCount = p.DeviceCount;
        _warmupWrites = p.WarmupWrites;
        _scheduled = scheduled;
        _sent = new long[scheduled.Length];
        _got = new byte[(long)scheduled.Length * (p.Devices - 1)];
        _fromScheduled = [.. Enumerable.Range(0, _deviceCount).Select(_ => new LatencySamples())];
        _fromSent = [.. Enumerable.Range(0, _deviceCount).Select(_ => new LatencySamples())];
        _sameNode = [.. Enumerable.Range(0, _deviceCount).Select(_ => new LatencySamples())];
        _crossNode = [.. Enumerable.Range(0, _deviceCount).Select(_ => new LatencySamples())];
        _nodeOf = nodeOf;
        _lastArrival = new long[_deviceCount];
    }

    public long Expected => (long)_scheduled.Length * (_devicesPerGroup - 1);

    public long MeasuredExpected => (_scheduled.Length - _warmupWrites) * (_devicesPerGroup - 1);

    public long Delivered => Interlocked.Read(ref _delivered);

    public long MeasuredDelivered => Interlocked.Read(ref _measuredDelivered);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long OtherGroup => Interlocked.Read(ref _otherGroup);

    public long UnknownMarker => Interlocked.Read(ref _unknownMarker);

    public long LastArrival => _lastArrival.Max();

    public LatencySummary FromScheduled() => LatencySamples.Summarize(_fromScheduled);

    public LatencySummary FromSent() => LatencySamples.Summarize(_fromSent);

    /// <summary>From scheduled send, deliveries whose writer and receiver are on the same node.</summary>
    public LatencySummary SameNode() => LatencySamples.Summarize(_sameNode);

    /// <summary>From scheduled send, deliveries that crossed nodes (through the Redis doorbell/backplane).</summary>
    public LatencySummary CrossNode() => LatencySamples.Summarize(_crossNode);

    public void OnSent(long writeIndex, long ticks)
    {
        if ((ulong)writeIndex < (ulong)_sent.Length)
        {
            Volatile.Write(ref _sent[writeIndex], ticks);
        }
    }

    public void OnChange(BenchDevice device, long writeIndex, long arrivalTicks)
    {
        if ((ulong)writeIndex >= (ulong)_scheduled.Length)
        {
            Interlocked.Increment(ref _unknownMarker);
            return;
        }

        var writer = _writerOf(writeIndex);
        var writerGroup = writer / _devicesPerGroup;
        var writerDevice = writer % _devicesPerGroup;
        var group = device.Index / _devicesPerGroup;
        var receiver = device.Index % _devicesPerGroup;
        if (writerGroup != group)
        {
            Interlocked.Increment(ref _otherGroup);
            return;
        }

        if (receiver == writerDevice)
        {
            // Cannot happen: a device's own writes carry its device_id and are filtered before this.
            return;
        }

        var slot = (writeIndex * (_devicesPerGroup - 1)) + ((receiver - writerDevice - 1 + _devicesPerGroup) % _devicesPerGroup);
        if (_got[slot] != 0)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _got[slot] = 1;
        Interlocked.Increment(ref _delivered);
        _lastArrival[device.Index] = arrivalTicks;
        if (writeIndex < _warmupWrites)
        {
            return;
        }

        Interlocked.Increment(ref _measuredDelivered);
        var fromScheduled = arrivalTicks - _scheduled[writeIndex];
        _fromScheduled[device.Index].AddTicks(fromScheduled);
        (_nodeOf[writer] == _nodeOf[device.Index] ? _sameNode : _crossNode)[device.Index].AddTicks(fromScheduled);
        var sent = Volatile.Read(ref _sent[writeIndex]);
        if (sent != 0)
        {
            _fromSent[device.Index].AddTicks(arrivalTicks - sent);
        }
    }
}
