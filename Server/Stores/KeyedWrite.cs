using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>A write addressed to a key.</summary>
/// <param name="Key">The entry's key, <c>note:&lt;path&gt;</c>.</param>
/// <param name="Write">The write.</param>
/// <param name="Base">
/// The versions it was edited from (docs/protocol.md §2), every one with a lower timestamp than the
/// write; null for a write without <c>base</c>, which follows the timestamp rule.
/// </param>
internal readonly record struct KeyedWrite(string Key, Write Write, VersionId[]? Base = null)
{
    /// <summary>This write merged into <paramref name="current"/> (null: the key was never written).</summary>
    public EntryState MergeInto(EntryState? current, out MergeOutcome outcome) =>
        Base is null ? LwwMerge.Merge(current, Write, out outcome) : LwwMerge.Merge(current, Write, Base, out outcome);
}
