namespace NoteSync.Server.Stores;

/// <summary>One page of "changes since".</summary>
/// <param name="Entries">The entries, in <c>seq</c> order.</param>
/// <param name="Cursor">Without <paramref name="More"/>: the space's clock at the read. With it: the <c>seq</c> of the last entry.</param>
/// <param name="More">True when entries beyond this page remain.</param>
internal sealed record ChangePage(IReadOnlyList<StoredEntry> Entries, long Cursor, bool More)
{
    /// <summary>The name of the space's history the page belongs to, or null while the space has none.</summary>
    public string? Epoch { get; init; }
}
