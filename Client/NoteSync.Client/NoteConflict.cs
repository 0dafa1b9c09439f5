namespace NoteSync.Client;

/// <summary>
/// A note whose heads (the versions no other version replaced, docs/protocol.md §2) hold more than one value:
/// two writes at one timestamp, or edits made on different devices without seeing each other. The winner is
/// what <see cref="NoteSyncClient.Get"/> shows; <see cref="NoteSyncClient.ResolveAsync"/> clears it.
/// </summary>
/// <param name="Path">The note's path.</param>
/// <param name="Winner">The write the note shows: the head with the highest timestamp (then device id, then value).</param>
/// <param name="Siblings">The other heads with other values, best first; their timestamps may be lower than the winner's.</param>
public sealed record NoteConflict(string Path, NoteVersion Winner, IReadOnlyList<NoteVersion> Siblings);
