namespace NoteSync.Shared.Crdt;

/// <summary>What a write did to an entry.</summary>
public enum MergeOutcome
{
    /// <summary>Older than the entry's timestamp: nothing changed.</summary>
    Ignored,

    /// <summary>Already in the entry (a re-delivery): nothing changed.</summary>
    Duplicate,

    /// <summary>Newer than the entry: it is now the only write.</summary>
    Replaced,

    /// <summary>Same timestamp as the entry, new: it joined the set of writes at that timestamp.</summary>
    Joined,
}

/// <summary>Helpers on <see cref="MergeOutcome"/>.</summary>
public static class MergeOutcomeExtensions
{
    /// <summary>True when the entry's state changed.</summary>
    public static bool Changed(this MergeOutcome outcome) => outcome is MergeOutcome.Replaced or MergeOutcome.Joined;
}
