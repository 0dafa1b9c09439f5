using System.Runtime.CompilerServices;
using NoteSync.Shared.Protocol;

namespace NoteSync.Shared.Crdt;

/// <summary>
/// The state of one key (docs/protocol.md §2): its heads, the versions no other version replaced, best
/// first (so the winner is <c>Writes[0]</c>), and a summary of which versions are replaced, so that a
/// replaced version that arrives again stays replaced. Writes without <c>base</c> only ever leave heads
/// of one timestamp, the set W of §2. Immutable.
/// </summary>
public sealed class EntryState
{
    private readonly Write[] _writes;

    // Null for the state writes without base leave (everything below the top replaced, nothing named),
    // made on first use: a catch-up decodes thousands of such states and never asks.
    private ReplacedVersions? _replaced;

    /// <param name="headsBestFirst">The heads, sorted.</param>
    /// <param name="replaced">What they replaced, or null for everything below the winner's timestamp and nothing named.</param>
    internal EntryState(Write[] headsBestFirst, ReplacedVersions? replaced)
    {
        _writes = headsBestFirst;
        _replaced = replaced;
    }

    /// <summary>The state holding one write without <c>base</c>.</summary>
    public static EntryState Of(Write write) => new([write], null);

    /// <summary>
    /// The state holding <paramref name="writes"/>, all of one timestamp and without <c>base</c>
    /// (duplicates are dropped). Throws when the timestamps differ or the list is empty.
    /// </summary>
    public static EntryState OfWrites(IEnumerable<Write> writes)
    {
        var distinct = writes.Distinct().ToArray();
        if (distinct.Length == 0)
        {
            throw new ArgumentException("a state holds at least one write", nameof(writes));
        }

        if (distinct.Any(w => w.Timestamp != distinct[0].Timestamp))
        {
            throw new ArgumentException("the writes of a state share one timestamp", nameof(writes));
        }

        Array.Sort(distinct, static (a, b) => Write.CompareHeads(b, a));
        return new EntryState(distinct, null);
    }

    /// <summary>
    /// The state whose heads are <paramref name="heads"/> (any order, duplicates dropped) with
    /// <paramref name="replaced"/>. Throws when there is no head or <paramref name="replaced"/> covers one.
    /// </summary>
    public static EntryState OfHeads(IEnumerable<Write> heads, ReplacedVersions replaced)
    {
        ArgumentNullException.ThrowIfNull(replaced);
        var distinct = heads.Distinct().ToArray();
        if (distinct.Length == 0)
        {
            throw new ArgumentException("a state holds at least one head", nameof(heads));
        }

        foreach (var head in distinct)
        {
            if (replaced.Covers(head))
            {
                throw new ArgumentException($"the head ({head.Timestamp}, {head.DeviceId}) is among the replaced versions", nameof(heads));
            }
        }

        Array.Sort(distinct, static (a, b) => Write.CompareHeads(b, a));
        return new EntryState(distinct, replaced);
    }

    /// <summary>Which versions of the key are replaced: a version it covers never becomes a head again.</summary>
    public ReplacedVersions Replaced
    {
        get
        {
            // Published once, so every reader gets one instance: merges tell "nothing changed" by reference.
            return Volatile.Read(ref _replaced)
                ?? Interlocked.CompareExchange(ref _replaced, ReplacedVersions.None.With(Timestamp, []), null)
                ?? _replaced!;
        }
    }

    /// <summary>Every version below this timestamp is replaced (<see cref="ReplacedVersions.Floor"/>), read without making <see cref="Replaced"/>.</summary>
    public long Floor => Volatile.Read(ref _replaced)?.Floor ?? Timestamp;

    /// <summary>The winner's timestamp: the highest of the heads, and of every version of the key seen.</summary>
    public long Timestamp => _writes[0].Timestamp;

    /// <summary>The write whose value the key shows.</summary>
    public Write Winner => _writes[0];

    /// <summary>The heads, best first (by timestamp, then as <see cref="Write.CompareForWinner"/>).</summary>
    public ReadOnlySpan<Write> Writes => _writes;

    /// <summary>True while the heads hold more than one distinct value.</summary>
    public bool IsConflict
    {
        get
        {
            foreach (var w in _writes)
            {
                if (!string.Equals(w.Value, _writes[0].Value, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The heads whose value differs from the winner's, best first.</summary>
    public IEnumerable<Write> Siblings => _writes.Where(w => !string.Equals(w.Value, _writes[0].Value, StringComparison.Ordinal));

    /// <summary>The head named <paramref name="id"/>, or null when it is not one of this state's heads.</summary>
    public Write? HeadOf(VersionId id)
    {
        foreach (var head in _writes)
        {
            if (head.Timestamp == id.Timestamp && string.Equals(head.DeviceId, id.DeviceId, StringComparison.Ordinal))
            {
                return head;
            }
        }

        return null;
    }

    /// <summary>True when the state is exactly the single write <paramref name="write"/>.</summary>
    public bool IsExactly(in Write write) => _writes.Length == 1 && _writes[0] == write;

    /// <summary>
    /// The state as it travels in a <c>sync_ack</c> (docs/protocol.md §4.6): the winner; the heads whose value
    /// differs as <c>conflicts</c>; the others as <c>also</c>; <c>replaced</c> unless it is everything
    /// below the winner's timestamp and nothing named, the state every write without <c>base</c> leaves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Change ToChange(string key)
    {
        var winner = _writes[0];
        var change = new Change { Key = key, Value = winner.Value, Timestamp = winner.Timestamp, DeviceId = winner.DeviceId };
        if (_writes.Length > 1)
        {
            for (var i = 1; i < _writes.Length; i++)
            {
                var w = _writes[i];
                if (string.Equals(w.Value, winner.Value, StringComparison.Ordinal))
                {
                    (change.Also ??= []).Add(new VersionRef { Timestamp = w.Timestamp, DeviceId = w.DeviceId });
                }
                else
                {
                    change.Conflict = true;
                    (change.Conflicts ??= []).Add(new ConflictSibling { Value = w.Value, Timestamp = w.Timestamp, DeviceId = w.DeviceId });
                }
            }
        }

        if (Volatile.Read(ref _replaced) is { } replaced && (replaced.Floor != winner.Timestamp || replaced.Named.Length > 0))
        {
            var named = new List<VersionRef>(replaced.Named.Length);
            foreach (var id in replaced.Named)
            {
                named.Add(new VersionRef { Timestamp = id.Timestamp, DeviceId = id.DeviceId });
            }

            change.Replaced = new ReplacedRef { Floor = replaced.Floor, Named = named };
        }

        return change;
    }

    /// <summary>
    /// The state a change received in a <c>sync_ack</c> stands for: its winner, <c>conflicts</c> and
    /// <c>also</c> as heads, and <c>replaced</c>, which when absent is everything below the lowest head (for a
    /// server of the original protocol, the winner's timestamp). Joining it into a replica gives that replica
    /// the sender's state. A <c>replaced</c> that covers a head, which no server sends, is read as absent.
    /// </summary>
    public static EntryState FromChange(Change change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var winner = new Write(change.Timestamp, change.DeviceId ?? "", change.Value);
        if (change.Conflicts is null && change.Also is null && change.Replaced is null)
        {
            return Of(winner);
        }

        var heads = new List<Write>(1 + (change.Conflicts?.Count ?? 0) + (change.Also?.Count ?? 0))
        {
            winner,
        };
        foreach (var s in change.Conflicts ?? [])
        {
            heads.Add(new Write(s.Timestamp, s.DeviceId, s.Value));
        }

        foreach (var a in change.Also ?? [])
        {
            heads.Add(new Write(a.Timestamp, a.DeviceId, change.Value));
        }

        var lowest = heads.Min(h => h.Timestamp);
        var legacy = ReplacedVersions.None.With(lowest, []);
        if (change.Replaced is not { } sent)
        {
            return OfHeads(heads, legacy);
        }

        var replaced = ReplacedVersions.Of(sent.Floor, sent.Named.Select(v => new VersionId(v.Timestamp, v.DeviceId)));
        return OfHeads(heads, heads.Any(h => replaced.Covers(h)) ? legacy : replaced);
    }
}
