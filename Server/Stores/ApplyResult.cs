namespace NoteSync.Server.Stores;

/// <summary>What one <see cref="ISyncStore.ApplyAsync"/> did.</summary>
/// <param name="PreviousCursor">The space's clock before the writes.</param>
/// <param name="Cursor">The space's clock after them (equal to <paramref name="PreviousCursor"/> when nothing changed).</param>
/// <param name="Changed">The entries whose state changed, in <c>seq</c> order, each key once with its final state.</param>
/// <param name="Superseded">
/// Keys whose write changed nothing and whose state is not just that write: the state that beat it
/// (or that already held it beside other writes). The device is told, since it holds only its own write.
/// </param>
internal sealed record ApplyResult(long PreviousCursor, long Cursor, IReadOnlyList<StoredEntry> Changed, IReadOnlyList<KeyState> Superseded)
{
    /// <summary>The name of the space's history after the writes (a store may renew it at a push, see <see cref="ChangePage.Epoch"/>).</summary>
    public string? Epoch { get; init; }

    /// <summary>
    /// How many notes the store merged inside the same commit (<see cref="ISyncStore.MergesConcurrentEdits"/>):
    /// their entries in <see cref="Changed"/> hold the merged version, not the push's edit.
    /// </summary>
    public int AutoMerged { get; init; }
}
