namespace NoteSync.Client;

/// <summary>
/// A note whose writes at its highest timestamp hold more than one value (docs/protocol.md §2). The winner is
/// what <see cref="NoteSyncClient.Get"/> shows; <see cref="NoteSyncClient.ResolveAsync"/> clears it.
/// </summary>
/// <param name="Path">The note's path.</param>
/// <param name="Winner">The write the note shows.</param>
/// <param name="Siblings">The writes at the same timestamp with other values, best first.</param>
public sealed record NoteConflict(string Path, NoteVersion Winner, IReadOnlyList<NoteVersion> Siblings);
