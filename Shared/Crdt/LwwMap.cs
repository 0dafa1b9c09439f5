namespace NoteSync.Shared.Crdt;

/// <summary>
/// A replica of one space: key to <see cref="EntryState"/>. Not thread-safe; the owner serializes access.
/// </summary>
public sealed class LwwMap
{
    private readonly Dictionary<string, EntryState> _entries = new(StringComparer.Ordinal);

    /// <summary>How many keys the map holds, tombstones included.</summary>
    public int Count => _entries.Count;

    /// <summary>Every key with its state.</summary>
    public IReadOnlyDictionary<string, EntryState> Entries => _entries;

    /// <summary>Merges one write into <paramref name="key"/>.</summary>
    public MergeOutcome Apply(string key, in Write write)
    {
        ArgumentNullException.ThrowIfNull(key);
        _entries.TryGetValue(key, out var current);
        var next = LwwMerge.Merge(current, write, out var outcome);
        if (outcome.Changed())
        {
            _entries[key] = next;
        }

        return outcome;
    }

    /// <summary>Merges one write edited from the versions <paramref name="base"/> names into <paramref name="key"/>.</summary>
    public MergeOutcome Apply(string key, in Write write, ReadOnlySpan<VersionId> @base)
    {
        ArgumentNullException.ThrowIfNull(key);
        _entries.TryGetValue(key, out var current);
        var next = LwwMerge.Merge(current, write, @base, out var outcome);
        if (outcome.Changed() || !ReferenceEquals(next, current))
        {
            _entries[key] = next;
        }

        return outcome;
    }

    /// <summary>Merges a whole state (e.g. one received from a server) into <paramref name="key"/>.</summary>
    public bool Apply(string key, EntryState state)
    {
        ArgumentNullException.ThrowIfNull(key);
        _entries.TryGetValue(key, out var current);
        var next = LwwMerge.Join(current, state, out var changed);
        if (changed)
        {
            _entries[key] = next;
        }

        return changed;
    }

    /// <summary>The state of <paramref name="key"/>, or null if it was never written.</summary>
    public EntryState? Get(string key) => _entries.GetValueOrDefault(key);
}
