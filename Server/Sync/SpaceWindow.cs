using NoteSync.Server.Stores;

namespace NoteSync.Server.Sync;

/// <summary>
/// One space's recent log. Invariant: the window holds, for every key whose last change has a
/// <c>seq</c> in (<c>_from</c>, <c>_head</c>], that key's current state as of <c>_head</c>; so
/// "changes since X" for X &gt;= <c>_from</c> is exact up to <c>_head</c>. It answers only while
/// <c>_head</c> is the newest clock value known for the space (<c>_known</c>): commits that arrive out
/// of order wait in <c>_parked</c> until the gap before them closes, and a commit made elsewhere
/// (another node) is learnt from a store read.
/// </summary>
/// <param name="capacity">The most entries held (<c>NoteSync:Sync:RecentChangesPerSpace</c>).</param>
/// <param name="maxBytes">The most bytes of entries held, as <see cref="StoredEntry.EstimatedWireBytes"/> counts them (<c>NoteSync:Sync:RecentChangesBytesPerSpace</c>).</param>
internal sealed class SpaceWindow(int capacity, long maxBytes = long.MaxValue)
{
    // Out-of-order commits beyond this many mean one was lost (a faulted caller): start afresh.
    private const int MaxParked = 64;

    private readonly Lock _lock = new();
    private readonly SortedSet<StoredEntry> _bySeq = new(SeqComparer.Instance);
    private readonly Dictionary<string, StoredEntry> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<long, ApplyResult> _parked = [];
    private LiveFrame? _liveFrame;
    private bool _started;
    private string? _epoch;
    private long _from;
    private long _head;
    private long _known;
    private long _bytes;

    /// <summary>The cursor the window's answers are exact at.</summary>
    public long Head
    {
        get
        {
            lock (_lock)
            {
                return _head;
            }
        }
    }

    public void OnApplied(ApplyResult applied)
    {
        lock (_lock)
        {
            if (_started && applied.Epoch != _epoch)
            {
                // Another history (a store that lost some, and renamed its history): nothing held joins onto it.
                Forget(applied.Epoch);
            }

            if (!_started)
            {
                _epoch = applied.Epoch;
                Restart(applied.PreviousCursor);
            }

            _known = Math.Max(_known, applied.Cursor);

            if (applied.PreviousCursor > _head)
            {
                // Two commits that follow one cursor mean the store's history forked (a seq handed out
                // twice): keeping either would hide the other, so the window gives up and the store answers.
                if ((_parked.TryGetValue(applied.PreviousCursor, out var other) && !ReferenceEquals(other, applied)) || _parked.Count >= MaxParked)
                {
                    Restart(_known);
                    return;
                }

                _parked[applied.PreviousCursor] = applied;
                return;
            }

            if (applied.PreviousCursor == _head)
            {
                Append(applied.Changed, applied.Cursor);
                while (_parked.Remove(_head, out var next))
                {
                    Append(next.Changed, next.Cursor);
                }
            }
            else if (!Holds(applied.Changed))
            {
                // A commit from before the head that a read has not already brought in: the same fork.
                Restart(_known);
            }
        }
    }

    /// <summary>The space's clock is known to have reached <paramref name="cursor"/> (a commit elsewhere): answer nothing past the head until a read catches up.</summary>
    public void OnHeard(long cursor)
    {
        lock (_lock)
        {
            _known = Math.Max(_known, cursor);
        }
    }

    public void OnRead(long after, ChangePage page)
    {
        lock (_lock)
        {
            if (_started && page.Epoch != _epoch)
            {
                Forget(page.Epoch);
                Restart(page.Cursor);
                return;
            }

            _epoch = page.Epoch;
            _known = Math.Max(_known, page.Cursor);
            if (!_started || after > _head || page.Cursor <= _head)
            {
                // The read does not join onto what the window holds; if the window is stale, a read
                // from its head will.
                if (!_started || (after > _head && _head < _known))
                {
                    Restart(page.Cursor);
                }

                return;
            }

            var newer = new List<StoredEntry>(page.Entries.Count);
            foreach (var e in page.Entries)
            {
                if (e.Seq > _head)
                {
                    newer.Add(e);
                }
            }

            Append(newer, page.Cursor);
            foreach (var stale in _parked.Keys.Where(k => k < _head).ToList())
            {
                _parked.Remove(stale);
            }
        }
    }

    /// <summary>Remembers the space's latest live push, so devices at the same cursor share it.</summary>
    public void RememberLiveFrame(LiveFrame frame)
    {
        lock (_lock)
        {
            _liveFrame = frame;
        }
    }

    /// <summary>
    /// The remembered live push for devices at <paramref name="after"/>, while it is still the whole
    /// answer: nothing has been committed (here or, as far as is known, elsewhere) since it was built.
    /// </summary>
    public LiveFrame? LiveFrameFor(long after)
    {
        lock (_lock)
        {
            return _liveFrame is { } frame && frame.After == after && _started && after >= _from && _head == frame.Cursor && _head >= _known
                ? frame
                : null;
        }
    }

    public bool TryRead(long after, int maxChanges, long maxBytes, out ChangePage page)
    {
        lock (_lock)
        {
            page = null!;
            if (!_started || after < _from || _head < _known)
            {
                return false;
            }

            if (after >= _head)
            {
                page = new ChangePage([], _head, false) { Epoch = _epoch };
                return true;
            }

            var entries = new List<StoredEntry>();
            long bytes = 0;
            var more = false;
            foreach (var e in _bySeq.GetViewBetween(Probe(after + 1), Probe(long.MaxValue)))
            {
                var size = e.EstimatedWireBytes;
                if (entries.Count == maxChanges || (entries.Count > 0 && bytes + size > maxBytes))
                {
                    more = true;
                    break;
                }

                entries.Add(e);
                bytes += size;
            }

            page = new ChangePage(entries, more ? entries[^1].Seq : _head, more) { Epoch = _epoch };
            return true;
        }
    }

    // True when every entry the window should know of is there, or was overwritten by a later change.
    private bool Holds(IReadOnlyList<StoredEntry> changed)
    {
        foreach (var e in changed)
        {
            if (e.Seq > _from && !(_byKey.TryGetValue(e.Key, out var held) && (held.Seq > e.Seq || (held.Seq == e.Seq && held.State.Writes.SequenceEqual(e.State.Writes)))))
            {
                return false;
            }
        }

        return true;
    }

    // Drops everything known of the old history, the clock included: the new one's may be lower.
    private void Forget(string? epoch)
    {
        _epoch = epoch;
        _known = 0;
        _liveFrame = null;
        _started = false;
    }

    private void Restart(long cursor)
    {
        _bySeq.Clear();
        _byKey.Clear();
        _parked.Clear();
        _bytes = 0;
        _from = _head = cursor;
        _known = Math.Max(_known, cursor);
        _started = true;
    }

    private void Append(IReadOnlyList<StoredEntry> changed, long cursor)
    {
        foreach (var e in changed)
        {
            if (_byKey.Remove(e.Key, out var old))
            {
                _bySeq.Remove(old);
                _bytes -= old.EstimatedWireBytes;
            }

            _byKey[e.Key] = e;
            if (!_bySeq.Add(e))
            {
                throw new InvalidOperationException($"the window already holds {e.Key} at seq {e.Seq}");
            }

            _bytes += e.EstimatedWireBytes;
        }

        _head = Math.Max(_head, cursor);

        // Bounded in bytes as well as entries: a few large notes must not hold a node's memory.
        while (_bySeq.Count > capacity || (_bytes > maxBytes && _bySeq.Count > 0))
        {
            var oldest = _bySeq.Min!;
            _bySeq.Remove(oldest);
            _byKey.Remove(oldest.Key);
            _bytes -= oldest.EstimatedWireBytes;
            // Changes at or below the evicted seq may now be missing: only later cursors are exact.
            _from = oldest.Seq;
        }
    }

    private static StoredEntry Probe(long seq) => new("", seq, null!);

    // By seq, then key: two keys under one seq (a seq handed out twice, which only a store that lost
    // history does) must both stay, not have the second silently dropped by the set.
    private sealed class SeqComparer : IComparer<StoredEntry>
    {
        public static readonly SeqComparer Instance = new();

        public int Compare(StoredEntry? x, StoredEntry? y)
        {
            var bySeq = x!.Seq.CompareTo(y!.Seq);
            return bySeq != 0 ? bySeq : string.CompareOrdinal(x.Key, y.Key);
        }
    }
}
