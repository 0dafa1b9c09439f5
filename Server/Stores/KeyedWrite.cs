using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>A write addressed to a key.</summary>
/// <param name="Key">The entry's key, <c>note:&lt;path&gt;</c>.</param>
/// <param name="Write">The write.</param>
internal readonly record struct KeyedWrite(string Key, Write Write);
