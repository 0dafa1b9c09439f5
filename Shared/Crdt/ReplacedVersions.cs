namespace NoteSync.Shared.Crdt;

/// <summary>
/// Which versions of one key are replaced (docs/protocol.md §2.2), in two numbers per device rather
/// than a list that grows with every edit:
/// <list type="bullet">
/// <item><see cref="Floor"/>: every version with a lower timestamp. A write without <c>base</c> at
/// timestamp t replaces everything below t, as the rule of §2 always has.</item>
/// <item>per device d, the highest timestamp t any base named for d: every version of d at t or
/// below. A device writes each version from a replica holding its own earlier ones, so whoever saw
/// d's write at t saw, or saw what replaced, every earlier write of d to the key.</item>
/// </list>
/// Both only grow, and two summaries join by taking the maximum of each number, so replicas that
/// saw the same writes in any order agree. Immutable.
/// </summary>
public sealed class ReplacedVersions : IEquatable<ReplacedVersions>
{
    /// <summary>Nothing replaced.</summary>
    public static readonly ReplacedVersions None = new(0, []);

    // Sorted by device id, ordinal: one entry per device, so a lookup is a binary search.
    private readonly VersionId[] _named;

    private ReplacedVersions(long floor, VersionId[] named)
    {
        Floor = floor;
        _named = named;
    }

    /// <summary>Every version with a timestamp below this is replaced.</summary>
    public long Floor { get; }

    /// <summary>Per device, the highest timestamp a base named: that version and every earlier one of the device are replaced. Sorted by device.</summary>
    public ReadOnlySpan<VersionId> Named => _named;

    /// <summary>The summary from its parts; <paramref name="named"/> in any order, several per device allowed (the highest counts).</summary>
    public static ReplacedVersions Of(long floor, IEnumerable<VersionId> named)
    {
        ArgumentNullException.ThrowIfNull(named);
        return None.With(floor, named.ToArray());
    }

    /// <summary>True when <paramref name="write"/> is replaced.</summary>
    public bool Covers(in Write write) => Covers(write.Timestamp, write.DeviceId);

    /// <summary>True when the version (<paramref name="timestamp"/>, <paramref name="deviceId"/>) is replaced.</summary>
    public bool Covers(long timestamp, string deviceId) => timestamp < Floor || NamedFor(deviceId) >= timestamp;

    /// <summary>The highest timestamp named for <paramref name="deviceId"/>, or 0.</summary>
    public long NamedFor(string deviceId)
    {
        var i = IndexOf(_named, deviceId);
        return i >= 0 ? _named[i].Timestamp : 0;
    }

    /// <summary>
    /// This summary with <paramref name="floor"/> and the versions <paramref name="named"/> replaced too; the same
    /// instance when that adds nothing. A device named below the floor says no more than the floor does, so it
    /// is dropped: the list holds only devices that wrote since the last write without <c>base</c>.
    /// </summary>
    public ReplacedVersions With(long floor, ReadOnlySpan<VersionId> named)
    {
        var newFloor = Math.Max(Floor, floor);
        VersionId[]? grown = null;
        foreach (var id in named)
        {
            if (id.Timestamp < newFloor)
            {
                continue;
            }

            var current = grown ?? _named;
            var i = IndexOf(current, id.DeviceId);
            if (i >= 0 && current[i].Timestamp >= id.Timestamp)
            {
                continue;
            }

            grown = i >= 0 ? (VersionId[])current.Clone() : Insert(current, ~i, id);
            if (i >= 0)
            {
                grown[i] = id;
            }
        }

        if (grown is null && newFloor == Floor)
        {
            return this;
        }

        var kept = grown ?? _named;
        if (newFloor > Floor && Array.Exists(kept, id => id.Timestamp < newFloor))
        {
            kept = Array.FindAll(kept, id => id.Timestamp >= newFloor);
        }

        return new ReplacedVersions(newFloor, kept);
    }

    /// <summary>The join of two summaries: what either replaces.</summary>
    public ReplacedVersions Join(ReplacedVersions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return With(other.Floor, other._named);
    }

    /// <inheritdoc />
    public bool Equals(ReplacedVersions? other) =>
        other is not null && Floor == other.Floor && _named.AsSpan().SequenceEqual(other._named);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ReplacedVersions);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Floor, _named.Length);

    private static int IndexOf(VersionId[] named, string deviceId)
    {
        int lo = 0, hi = named.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = string.CompareOrdinal(named[mid].DeviceId, deviceId);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private static VersionId[] Insert(VersionId[] named, int at, VersionId id)
    {
        var grown = new VersionId[named.Length + 1];
        named.AsSpan(0, at).CopyTo(grown);
        grown[at] = id;
        named.AsSpan(at).CopyTo(grown.AsSpan(at + 1));
        return grown;
    }
}
