using NoteSync.Shared.Crdt;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

// History reads: one read-only script each (RedisScripts.ReadHistory), so a key's records, its entry
// (which holds its heads' texts) and hv come from one state.
internal sealed partial class RedisSyncStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryAsync(string space, string key, int maxVersions, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckHistory(space, key, maxVersions);
        var items = await ReadHistoryScriptAsync(space, ["h", key], cancellationToken).ConfigureAwait(false);
        var heads = RedisHistoryCodec.HeadsOf(key, items[0], out _);
        var records = RedisHistoryCodec.Decode(key, items[1], heads);
        return [.. Enumerable.Reverse(records).Take(maxVersions).Select(r => r.Version)];
    }

    /// <inheritdoc />
    public async Task<NoteVersionText?> ReadVersionAsync(string space, string key, long timestamp, string deviceId, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckHistory(space, key, 1);
        ArgumentNullException.ThrowIfNull(deviceId);
        var items = await ReadHistoryScriptAsync(space, ["v", key, timestamp, deviceId], cancellationToken).ConfigureAwait(false);
        var heads = RedisHistoryCodec.HeadsOf(key, items[0], out var state);
        var id = new VersionId(timestamp, deviceId);
        var found = RedisHistoryCodec.Decode(key, items[1], heads).Find(r => r.Version.Id == id);
        if (found.Version is not { } version)
        {
            return null;
        }

        if (version.IsDelete)
        {
            return new NoteVersionText(version, null);
        }

        // A text is in hv or hd once its version stopped being a head; one replaced through a node that kept
        // no history (a rolling upgrade) has none, and history does not hold it.
        var text = version.IsHead ? state!.HeadOf(id)?.Value : RedisTextChain.Resolve(items[2], state);
        return text is null ? null : new NoteVersionText(version, text);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrashedNote>> ReadTrashAsync(string space, int maxNotes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckTrash(space, maxNotes);
        var items = await ReadHistoryScriptAsync(space, ["t", maxNotes], cancellationToken).ConfigureAwait(false);
        var trash = new List<TrashedNote>(items.Length);
        foreach (var item in items)
        {
            var parts = (RedisResult[])item!;
            var key = (string)parts[0]!;
            var heads = RedisHistoryCodec.HeadsOf(key, parts[1], out var state);
            var records = RedisHistoryCodec.Decode(key, parts[2], heads);

            // Checked against the entry rather than trusted: a node of a version before history could
            // have written the key since the trash was last kept.
            if (state is not { Winner: { Value: null } winner } || records.Find(r => r.Version.IsDelete && r.Version.Id == VersionId.Of(winner)).Version is not { } delete)
            {
                continue;
            }

            var last = records.FindLast(r => !r.Version.IsDelete).Version;
            var text = last is null ? null : last.IsHead ? state.HeadOf(last.Id)?.Value : RedisTextChain.Resolve(parts[3], state);
            trash.Add(new TrashedNote(key, delete.CommittedAt, delete.DeviceId, delete.Timestamp, text is null ? null : new Write(last!.Timestamp, last.DeviceId, text)));
        }

        return trash;
    }

    private async Task<RedisResult[]> ReadHistoryScriptAsync(string space, RedisValue[] arguments, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var result = await EvaluateAsync(RedisScripts.ReadHistorySha1, RedisScripts.ReadHistory, RedisKeys.For(space), arguments)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (RedisResult[])result!;
    }
}
