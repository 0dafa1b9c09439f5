using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Scenarios.Merge;

/// <summary>
/// Counts what the merge scenario's devices receive: ordinary writes go to a <see cref="DeliveryTracker"/>;
/// for each pair of concurrent edits, one slot per device of the group for the merged version (device
/// <c>notesync:merge</c>, exactly <see cref="MergeNotes.Merged"/>). Latency is counted from the scheduled
/// send of the pair's second edit, and from the later of the two actual sends. As in the fan-out, each
/// slot is only touched by its receiving device's receive loop; counters are interlocked.
/// </summary>
internal sealed class MergeTracker : IDeviceObserver
{
    private readonly DeliveryTracker _ordinary;
    private readonly int _devices;
    private readonly int _warmupPairs;
    private readonly string[] _merged;
    private readonly long[] _secondScheduled;
    private readonly long[] _sent;
    private readonly int[] _editors;
    private readonly byte[] _got;
    private readonly LatencySamples[] _fromScheduled;
    private readonly LatencySamples[] _fromSent;
    private readonly LatencySamples[] _othersFromScheduled;
    private readonly long[] _conflictAt;
    private readonly LatencySamples[] _toConflict;
    private readonly LatencySamples[] _mergeStep;
    private long _delivered;
    private long _measuredDelivered;
    private long _duplicates;
    private long _wrongMerges;
    private long _conflictStates;
    private long _unknown;

    /// <param name="ordinary">Counts the ordinary writes.</param>
    /// <param name="devices">Devices in the group.</param>
    /// <param name="secondScheduled">Per pair, the scheduled send of its second edit.</param>
    /// <param name="editors">Per pair, the two devices that edit (index 2 x pair + side).</param>
    /// <param name="warmupPairs">The first pairs, not measured.</param>
    public MergeTracker(DeliveryTracker ordinary, int devices, long[] secondScheduled, int[] editors, int warmupPairs)
    {
        _ordinary = ordinary;
        _devices = devices;
        _warmupPairs = warmupPairs;
        _secondScheduled = secondScheduled;
        _editors = editors;
        _merged = [.. Enumerable.Range(0, secondScheduled.Length).Select(MergeNotes.Merged)];
        _sent = new long[secondScheduled.Length * 2];
        _got = new byte[(long)secondScheduled.Length * devices];
        _fromScheduled = [.. Enumerable.Range(0, devices).Select(_ => new LatencySamples())];
        _fromSent = [.. Enumerable.Range(0, devices).Select(_ => new LatencySamples())];
        _othersFromScheduled = [.. Enumerable.Range(0, devices).Select(_ => new LatencySamples())];
        _conflictAt = new long[_got.Length];
        _toConflict = [.. Enumerable.Range(0, devices).Select(_ => new LatencySamples())];
        _mergeStep = [.. Enumerable.Range(0, devices).Select(_ => new LatencySamples())];
    }

    public int Pairs => _secondScheduled.Length;

    public long Expected => (long)Pairs * _devices;

    public long MeasuredExpected => (long)(Pairs - _warmupPairs) * _devices;

    public long Delivered => Interlocked.Read(ref _delivered);

    public long MeasuredDelivered => Interlocked.Read(ref _measuredDelivered);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Merged versions whose text was not the expected merge.</summary>
    public long WrongMerges => Interlocked.Read(ref _wrongMerges);

    /// <summary>Changes of the pairs' notes received while the note was in conflict (before its merge).</summary>
    public long ConflictStates => Interlocked.Read(ref _conflictStates);

    public long Unknown => Interlocked.Read(ref _unknown);

    /// <summary>Measured pairs whose merged version reached no device at all: merges that did not happen.</summary>
    public int UnmergedPairs()
    {
        var unmerged = 0;
        for (var pair = _warmupPairs; pair < Pairs; pair++)
        {
            if (!_got.AsSpan(pair * _devices, _devices).ContainsAnyExcept((byte)0))
            {
                unmerged++;
            }
        }

        return unmerged;
    }

    /// <summary>Every device, from the scheduled send of the pair's second edit.</summary>
    public LatencySummary FromScheduled() => LatencySamples.Summarize(_fromScheduled);

    /// <summary>Every device, from the later of the two edits' actual sends.</summary>
    public LatencySummary FromSent() => LatencySamples.Summarize(_fromSent);

    /// <summary>The devices that made neither edit (they receive it as they receive an ordinary write), from scheduled.</summary>
    public LatencySummary OthersFromScheduled() => LatencySamples.Summarize(_othersFromScheduled);

    /// <summary>
    /// Scheduled send of the second edit → arrival of the note in conflict (both edits as heads), at the
    /// devices that saw that state: the part of a merge's latency an ordinary write has too.
    /// </summary>
    public LatencySummary ToConflict() => LatencySamples.Summarize(_toConflict);

    /// <summary>Arrival of the note in conflict → arrival of its merged version, at the same device: what the merge adds.</summary>
    public LatencySummary MergeStep() => LatencySamples.Summarize(_mergeStep);

    public void OnSent(long writeIndex, long ticks) => _ordinary.OnSent(writeIndex, ticks);

    public void OnChange(BenchDevice device, long writeIndex, long arrivalTicks) => _ordinary.OnChange(device, writeIndex, arrivalTicks);

    public void OnTextSent(long tag, long ticks)
    {
        if ((ulong)tag < (ulong)_sent.Length)
        {
            Volatile.Write(ref _sent[tag], ticks);
        }
    }

    public void OnText(BenchDevice device, ReceivedChange change, long arrivalTicks)
    {
        if (!MergeNotes.TryPair(change.Text!, out var pair) || pair >= Pairs)
        {
            Interlocked.Increment(ref _unknown);
            return;
        }

        var slot = ((long)pair * _devices) + device.Index;
        if (change.Conflict)
        {
            Interlocked.Increment(ref _conflictStates);
            if (_conflictAt[slot] == 0 && _got[slot] == 0)
            {
                _conflictAt[slot] = arrivalTicks;
                if (pair >= _warmupPairs)
                {
                    _toConflict[device.Index].AddTicks(arrivalTicks - _secondScheduled[pair]);
                }
            }
        }

        if (!change.ByMerge)
        {
            // The original and the two edits themselves.
            return;
        }

        if (!string.Equals(change.Text, _merged[pair], StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _wrongMerges);
            return;
        }

        if (_got[slot] != 0)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _got[slot] = 1;
        Interlocked.Increment(ref _delivered);
        if (pair < _warmupPairs)
        {
            return;
        }

        Interlocked.Increment(ref _measuredDelivered);
        var fromScheduled = arrivalTicks - _secondScheduled[pair];
        _fromScheduled[device.Index].AddTicks(fromScheduled);
        if (device.Index != _editors[2 * pair] && device.Index != _editors[(2 * pair) + 1])
        {
            _othersFromScheduled[device.Index].AddTicks(fromScheduled);
        }

        if (_conflictAt[slot] != 0)
        {
            _mergeStep[device.Index].AddTicks(arrivalTicks - _conflictAt[slot]);
        }

        var lastSent = Math.Max(Volatile.Read(ref _sent[2 * pair]), Volatile.Read(ref _sent[(2 * pair) + 1]));
        if (lastSent != 0)
        {
            _fromSent[device.Index].AddTicks(arrivalTicks - lastSent);
        }
    }
}
