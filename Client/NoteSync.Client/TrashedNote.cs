namespace NoteSync.Client;

/// <summary>A deleted note in the server's trash (docs/protocol.md §4.13).</summary>
/// <param name="Path">The note's path.</param>
/// <param name="DeletedAt">When the server committed the delete, by its wall clock.</param>
/// <param name="Deletion">The delete: its timestamp and the device that deleted the note.</param>
/// <param name="Last">The newest version that had text, with that text; null when the history holds none.</param>
public sealed record TrashedNote(string Path, DateTimeOffset DeletedAt, NoteVersionId Deletion, NoteVersion? Last);
