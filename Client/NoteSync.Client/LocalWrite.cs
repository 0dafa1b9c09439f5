using NoteSync.Shared.Crdt;

namespace NoteSync.Client;

/// <summary>
/// One write into the replica and the outbox: the key, its content (null deletes), a timestamp a test forces
/// (null: the clock's next), and the versions the caller says it was edited from (null: every head the
/// replica holds, <see cref="WriteBase.Of"/>).
/// </summary>
internal readonly record struct LocalWrite(string Key, string? Value, long? ForcedTimestamp, IReadOnlyList<VersionId>? EditedFrom);
