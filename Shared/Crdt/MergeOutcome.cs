namespace NoteSync.Shared.Crdt;

/// <summary>What a write did to an entry.</summary>
public enum MergeOutcome
{
    /// <summary>Already replaced (below the entry's floor, or named by a later version's base): nothing changed.</summary>
    Ignored,

    /// <summary>Already a head (a re-delivery): nothing changed.</summary>
    Duplicate,

    /// <summary>It is now the only head.</summary>
    Replaced,

    /// <summary>It is now a head beside others (equal timestamps, or edits that did not see each other).</summary>
    Joined,
}

/// <summary>Helpers on <see cref="MergeOutcome"/>.</summary>
public static class MergeOutcomeExtensions
{
    /// <summary>True when the entry's state changed.</summary>
    public static bool Changed(this MergeOutcome outcome) => outcome is MergeOutcome.Replaced or MergeOutcome.Joined;
}
