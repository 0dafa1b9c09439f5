namespace NoteSync.Shared.Crdt;

/// <summary>
/// The merge rule of docs/protocol.md §2: a key's heads and what they replaced. A write without
/// <c>base</c> follows the timestamp rule (the highest timestamp wins, equal ones are kept side by side);
/// a write with one replaces exactly the versions it names, so an edit that did not see another is kept
/// beside it, whatever their timestamps.
/// </summary>
public static class LwwMerge
{
    /// <summary>
    /// Merges <paramref name="incoming"/>, a write without <c>base</c> (it replaces every version below its
    /// timestamp), into <paramref name="current"/>
    /// (null: the key was never written) and returns the resulting state; <paramref name="outcome"/>
    /// says what happened. When nothing changed the very same <paramref name="current"/> instance is
    /// returned, so the common paths allocate one small array at most.
    /// </summary>
    public static EntryState Merge(EntryState? current, in Write incoming, out MergeOutcome outcome)
    {
        if (current is null)
        {
            outcome = MergeOutcome.Replaced;
            return EntryState.Of(incoming);
        }

        // Below the floor it lost already, as it always has (for a state of writes without base the floor
        // is the top). At or above it, it replaces everything lower, and a head above it that it did not
        // see, an edit with base, stays beside it: the two are concurrent, whichever came first.
        if (incoming.Timestamp < current.Floor)
        {
            outcome = MergeOutcome.Ignored;
            return current;
        }

        return Add(current, incoming, current.Replaced.With(incoming.Timestamp, []), out outcome);
    }

    /// <summary>
    /// Merges <paramref name="incoming"/>, a write edited from the versions <paramref name="base"/> names
    /// (empty: a note created from nothing), into <paramref name="current"/>. Every name in
    /// <paramref name="base"/> has a lower timestamp than <paramref name="incoming"/> (the caller checks;
    /// docs/protocol.md §4.2).
    /// </summary>
    public static EntryState Merge(EntryState? current, in Write incoming, ReadOnlySpan<VersionId> @base, out MergeOutcome outcome)
    {
        var replaced = (current?.Replaced ?? ReplacedVersions.None).With(0, @base);
        if (current is null)
        {
            outcome = MergeOutcome.Replaced;
            return new EntryState([incoming], replaced);
        }

        return Add(current, incoming, replaced, out outcome);
    }

    /// <summary>Merges <paramref name="other"/> into <paramref name="current"/>: the join of two states.</summary>
    public static EntryState Join(EntryState? current, EntryState other, out bool changed)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (current is null)
        {
            changed = true;
            return other;
        }

        var replaced = current.Replaced.Join(other.Replaced);
        var heads = new List<Write>(current.Writes.Length + other.Writes.Length);
        foreach (var head in current.Writes)
        {
            if (!replaced.Covers(head))
            {
                heads.Add(head);
            }
        }

        var kept = heads.Count;
        foreach (var head in other.Writes)
        {
            if (!replaced.Covers(head) && !heads.Contains(head))
            {
                heads.Add(head);
            }
        }

        changed = kept != current.Writes.Length || heads.Count != kept || !ReferenceEquals(replaced, current.Replaced);
        if (!changed)
        {
            return current;
        }

        var sorted = heads.ToArray();
        Array.Sort(sorted, static (a, b) => Write.CompareHeads(b, a));
        return new EntryState(sorted, replaced);
    }

    private static EntryState Add(EntryState current, in Write incoming, ReplacedVersions replaced, out MergeOutcome outcome)
    {
        // A version already replaced stays so (a re-send after a later edit, or a write that lost):
        // nothing of it is taken, so a hostile base cannot remove heads that nothing replaces.
        if (replaced.Covers(incoming))
        {
            outcome = MergeOutcome.Ignored;
            return current;
        }

        var writes = current.Writes;
        var kept = new List<Write>(writes.Length + 1);
        var duplicate = false;
        foreach (var head in writes)
        {
            if (replaced.Covers(head))
            {
                continue;
            }

            duplicate |= head == incoming;
            kept.Add(head);
        }

        if (duplicate && kept.Count == writes.Length && ReferenceEquals(replaced, current.Replaced))
        {
            outcome = MergeOutcome.Duplicate;
            return current;
        }

        if (!duplicate)
        {
            var at = 0;
            while (at < kept.Count && Write.CompareHeads(kept[at], incoming) > 0)
            {
                at++;
            }

            kept.Insert(at, incoming);
        }

        outcome = kept.Count == 1 ? MergeOutcome.Replaced : MergeOutcome.Joined;
        return new EntryState([.. kept], replaced);
    }
}
