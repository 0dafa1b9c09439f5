namespace NoteSync.Client;

/// <summary>One version of a note as the server's history holds it (docs/protocol.md §4.13), without its text.</summary>
/// <param name="Id">The version: its timestamp and writer, as a base names it.</param>
/// <param name="CommittedAt">When the server committed it, by the server's wall clock: for people, never for ordering edits.</param>
/// <param name="Bytes">The UTF-8 bytes of its text (0 for a delete).</param>
/// <param name="IsDeleted">True for a delete.</param>
/// <param name="IsHead">True while it is one of the note's heads: what the note shows now (or a sibling of it in a conflict).</param>
/// <param name="Base">The versions it was edited from; null for a write without base (an older client, a script).</param>
public sealed record NoteHistoryEntry(
    NoteVersionId Id,
    DateTimeOffset CommittedAt,
    long Bytes,
    bool IsDeleted,
    bool IsHead,
    IReadOnlyList<NoteVersionId>? Base);
