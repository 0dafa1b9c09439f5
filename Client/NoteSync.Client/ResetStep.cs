using NoteSync.Shared.Crdt;

namespace NoteSync.Client;

/// <summary>The cursor's new epoch (null: none), saved with the frame.</summary>
internal readonly record struct EpochUpdate(string? Epoch);

/// <summary>
/// A reset's bookkeeping, saved with the frame it came from: <see cref="Begin"/> on its first frame (earlier
/// records dropped), the states the frame brought (<see cref="Seen"/>), and on its last frame the
/// re-uploads (<see cref="Reupload"/>), queued as the reset ends.
/// </summary>
internal sealed record ResetStep(bool Begin, IReadOnlyList<(string Key, EntryState State)> Seen, IReadOnlyList<(string Key, Write Write, IReadOnlyList<VersionId>? Base)>? Reupload);
