using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>A note whose winner is a delete, as <see cref="ISyncStore.ReadTrashAsync"/> lists it.</summary>
/// <param name="Key">The note's key.</param>
/// <param name="DeletedAt">The wall-clock time of the delete's commit, in Unix milliseconds.</param>
/// <param name="DeletedBy">The device that deleted it.</param>
/// <param name="DeleteTimestamp">The delete's Lamport timestamp (with <paramref name="DeletedBy"/>, the delete's version id).</param>
/// <param name="LastText">
/// The newest version of the note (in commit order) that had text, or null when its history holds none
/// (a note created by the delete, or whose texts retention dropped).
/// </param>
internal sealed record TrashedNote(string Key, long DeletedAt, string DeletedBy, long DeleteTimestamp, Write? LastText);
