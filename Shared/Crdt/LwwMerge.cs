namespace NoteSync.Shared.Crdt;

/// <summary>The merge rule of docs/protocol.md §2: a join over sets of writes, the whole CRDT in one function.</summary>
public static class LwwMerge
{
    /// <summary>
    /// Merges <paramref name="incoming"/> into <paramref name="current"/> (null: the key was never
    /// written) and returns the resulting state; <paramref name="outcome"/> says what happened.
    /// When nothing changed the very same <paramref name="current"/> instance is returned, so the
    /// common paths allocate one small array at most.
    /// </summary>
    public static EntryState Merge(EntryState? current, in Write incoming, out MergeOutcome outcome)
    {
        if (current is null || incoming.Timestamp > current.Timestamp)
        {
            outcome = MergeOutcome.Replaced;
            return EntryState.Of(incoming);
        }

        if (incoming.Timestamp < current.Timestamp)
        {
            outcome = MergeOutcome.Ignored;
            return current;
        }

        var writes = current.Writes;
        var insertAt = writes.Length;
        for (var i = 0; i < writes.Length; i++)
        {
            var cmp = Write.CompareForWinner(incoming, writes[i]);
            if (cmp == 0 && writes[i] == incoming)
            {
                outcome = MergeOutcome.Duplicate;
                return current;
            }

            if (cmp > 0)
            {
                insertAt = i;
                break;
            }
        }

        var merged = new Write[writes.Length + 1];
        writes[..insertAt].CopyTo(merged);
        merged[insertAt] = incoming;
        writes[insertAt..].CopyTo(merged.AsSpan(insertAt + 1));
        outcome = MergeOutcome.Joined;
        return new EntryState(merged);
    }

    /// <summary>Merges every write of <paramref name="other"/> into <paramref name="current"/>: the join of two states.</summary>
    public static EntryState Join(EntryState? current, EntryState other, out bool changed)
    {
        ArgumentNullException.ThrowIfNull(other);
        changed = false;
        var state = current;
        foreach (var w in other.Writes)
        {
            state = Merge(state, w, out var outcome);
            changed |= outcome.Changed();
        }

        return state!;
    }
}
