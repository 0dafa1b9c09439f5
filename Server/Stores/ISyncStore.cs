namespace NoteSync.Server.Stores;

/// <summary>
/// The durable log of every space (docs/protocol.md §1-§3). Implementations: <c>SqliteSyncStore</c> (the
/// embedded default) and, for several nodes, a Redis store. Every implementation passes
/// <c>SyncStoreContractTests</c>.
/// </summary>
internal interface ISyncStore : IAsyncDisposable
{
    /// <summary>
    /// Merges <paramref name="writes"/> into <paramref name="space"/> as one atomic step, in order,
    /// and returns only once the result is durable. Each write that alters the state of its key gets
    /// <c>seq = C = max(C + 1, write.Timestamp)</c>. Writes that change nothing (older, or already
    /// there) are accepted and leave no trace. A write whose timestamp leads the clock before the push by
    /// more than <see cref="ClockLimits.MaxLead"/> fails the whole push with <see cref="ClockLeadException"/>.
    /// A push refused because the store's disk is full fails with <see cref="StorageFullException"/>, and
    /// nothing of it is applied.
    /// </summary>
    Task<ApplyResult> ApplyAsync(string space, IReadOnlyList<KeyedWrite> writes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether <see cref="ApplyAsync"/> writes the automatic merge (docs/protocol.md §2.3) of the notes a push
    /// leaves to merge (<see cref="ConcurrentEdits.Candidate"/>) in the push's own commit, so no device sees
    /// the conflict first and the merge costs no second commit. When false, the sync service merges after
    /// the commit (the setting <c>NoteSync:Sync:AutoMerge</c> decides both).
    /// </summary>
    bool MergesConcurrentEdits { get; }

    /// <summary>
    /// Every entry of <paramref name="space"/> with <c>seq &gt; afterSeq</c>, each key once with its
    /// current state, in <c>seq</c> order; at most <paramref name="maxChanges"/> entries and about
    /// <paramref name="maxBytes"/> bytes of wire size (<see cref="StoredEntry.EstimatedWireBytes"/>),
    /// but always at least one entry when any remain.
    /// </summary>
    Task<ChangePage> ReadSinceAsync(string space, long afterSeq, int maxChanges, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// The versions of <paramref name="key"/> its history holds, newest first by commit order, at most
    /// <paramref name="maxVersions"/>, without their texts; empty for a key with no history. Every write the
    /// store took as a head (merge outcome Replaced or Joined) is a version, the current heads included,
    /// until the retention of <see cref="HistoryLimits"/> drops it. Keys written before the store kept
    /// history have none until their next write.
    /// </summary>
    Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryAsync(string space, string key, int maxVersions, CancellationToken cancellationToken = default);

    /// <summary>
    /// The version (<paramref name="timestamp"/>, <paramref name="deviceId"/>) of <paramref name="key"/> with
    /// its text, or null when the key's history does not hold it.
    /// </summary>
    Task<NoteVersionText?> ReadVersionAsync(string space, string key, long timestamp, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The notes of <paramref name="space"/> whose winner is a delete that history holds, newest deletion
    /// first (by commit order), at most <paramref name="maxNotes"/>, each with its last version that had text.
    /// </summary>
    Task<IReadOnlyList<TrashedNote>> ReadTrashAsync(string space, int maxNotes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every space the store holds (one written at least once), in no set order, each once. For the
    /// operator's commands, which walk the whole store; the server itself never lists spaces.
    /// </summary>
    IAsyncEnumerable<string> ListSpacesAsync(CancellationToken cancellationToken = default);

    /// <summary>The space's clock <c>C</c> (0 for a space never written).</summary>
    Task<long> GetCursorAsync(string space, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the store can serve reads and writes now, and if not, why: it does not answer, or (a
    /// store on a local disk) the disk is full, while reads may still be answered.
    /// </summary>
    Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}
