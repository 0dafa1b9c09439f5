using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>A key and its current state.</summary>
/// <param name="Key">The entry's key.</param>
/// <param name="State">Its state.</param>
internal sealed record KeyState(string Key, EntryState State);
