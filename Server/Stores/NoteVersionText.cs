namespace NoteSync.Server.Stores;

/// <summary>One version of a note with its text, as <see cref="ISyncStore.ReadVersionAsync"/> returns it.</summary>
/// <param name="Version">The version.</param>
/// <param name="Value">Its text; null for a delete.</param>
internal sealed record NoteVersionText(NoteVersionRecord Version, string? Value);
