using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit;

/// <summary>
/// When the automatic merge (docs/protocol.md §2.3) reads a note's history: for a conflict whose new write
/// names the version it was edited from, and never for one whose write names none, which cannot merge.
/// </summary>
public sealed class AutoMergeTriggerTests
{
    private const string Space = "default";
    private const string Key = "note:trip.md";

    /// <summary>Without base, an old-style conflict of equal timestamps; with [], two devices' new notes of one name.</summary>
    [Theory]
    [InlineData(false, 5)]
    [InlineData(true, 6)]
    public async Task AConflictWhoseNewWriteNamesNoVersionReadsNoHistory(bool emptyBase, long phoneTimestamp)
    {
        using var directory = new TempDirectory();
        await using var store = new CountingStore(new SqliteSyncStore(directory.Path, NullLogger.Instance));
        await PushAsync(store, "laptop", "a\n", 5, emptyBase ? [] : null);

        await PushAsync(store, "phone", "b\n", phoneTimestamp, emptyBase ? [] : null);

        Assert.Equal(2, (await store.ReadSinceAsync(Space, 0, 10, 1 << 20)).Entries.Single().State.Writes.Length);
        Assert.Equal(0, store.HistoryReads);
    }

    [Fact]
    public async Task AConflictOfEditsFromOneVersionReadsTheHistoryAndMerges()
    {
        using var directory = new TempDirectory();
        await using var store = new CountingStore(new SqliteSyncStore(directory.Path, NullLogger.Instance));
        await PushAsync(store, "laptop", "one\ntwo\nthree\n", 1, []);
        await PushAsync(store, "laptop", "one!\ntwo\nthree\n", 2, [new VersionRef { Timestamp = 1, DeviceId = "laptop" }]);

        await PushAsync(store, "phone", "one\ntwo\nthree!\n", 3, [new VersionRef { Timestamp = 1, DeviceId = "laptop" }]);

        Assert.Equal(1, store.HistoryReads);
        var state = (await store.ReadSinceAsync(Space, 0, 10, 1 << 20)).Entries.Single().State;
        Assert.Equal(1, state.Writes.Length);
        var merged = state.Writes[0];
        Assert.Equal(("one!\ntwo\nthree!\n", DeviceIds.Merge), (merged.Value, merged.DeviceId));
    }

    // Through a service of the default settings (the automatic merge on), as a device's push would go.
    private static async Task PushAsync(ISyncStore store, string device, string value, long timestamp, List<VersionRef>? @base)
    {
        var service = TestSyncServices.Create(store, Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions()));
        var push = new SyncPush { Changes = [new Change { Key = Key, Value = value, Timestamp = timestamp, Base = @base }], LastAck = 0 };
        var applied = await service.ApplyAsync(Space, device, push).DefaultTimeout();
        Assert.Null(applied.Error);
    }

    /// <summary>The store, counting the history reads made of it.</summary>
    private sealed class CountingStore(ISyncStore inner) : ISyncStore
    {
        private int _historyReads;

        public int HistoryReads => Volatile.Read(ref _historyReads);

        // False (the inner store is built without it): the sync service merges after the commit, through this store.
        public bool MergesConcurrentEdits => inner.MergesConcurrentEdits;

        public Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryAsync(string space, string key, int maxVersions, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _historyReads);
            return inner.ReadHistoryAsync(space, key, maxVersions, cancellationToken);
        }

        public Task<ApplyResult> ApplyAsync(string space, IReadOnlyList<KeyedWrite> writes, CancellationToken cancellationToken = default) => inner.ApplyAsync(space, writes, cancellationToken);

        public Task<ChangePage> ReadSinceAsync(string space, long afterSeq, int maxChanges, long maxBytes, CancellationToken cancellationToken = default) => inner.ReadSinceAsync(space, afterSeq, maxChanges, maxBytes, cancellationToken);

        public Task<long> GetCursorAsync(string space, CancellationToken cancellationToken = default) => inner.GetCursorAsync(space, cancellationToken);

        public Task<NoteVersionText?> ReadVersionAsync(string space, string key, long timestamp, string deviceId, CancellationToken cancellationToken = default) => inner.ReadVersionAsync(space, key, timestamp, deviceId, cancellationToken);

        public Task<IReadOnlyList<TrashedNote>> ReadTrashAsync(string space, int maxNotes, CancellationToken cancellationToken = default) => inner.ReadTrashAsync(space, maxNotes, cancellationToken);

        public IAsyncEnumerable<string> ListSpacesAsync(CancellationToken cancellationToken = default) => inner.ListSpacesAsync(cancellationToken);

        public Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => inner.CheckHealthAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
