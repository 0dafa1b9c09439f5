using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Merge;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

// The automatic merge (docs/protocol.md §2.3): two concurrent edits of a note's text, made from a version
// the history still holds, are merged line by line; a clean merge is written as the server's own version.
internal sealed partial class SyncService
{
    /// <summary>
    /// After a commit, for a store that does not merge inside it (<see cref="ISyncStore.MergesConcurrentEdits"/>):
    /// every note the push left to merge (<see cref="ConcurrentEdits.Candidate"/>) is merged when the two
    /// heads changed different lines of a version both were edited from, and the clean merge committed as
    /// the server's own version (<see cref="ConcurrentEdits.MergedVersion"/>). A merge that fails leaves the
    /// conflict for a person, as with the setting off.
    /// </summary>
    private async Task MergeConcurrentEditsAsync(string space, ApplyResult applied, KeyedWrite[] writes, CancellationToken cancellationToken)
    {
        List<KeyedWrite>? merges = null;
        foreach (var entry in applied.Changed)
        {
            if (ConcurrentEdits.Candidate(entry, writes) is not var (winner, sibling))
            {
                continue;
            }

            try
            {
                if (await MergeOfAsync(space, entry.Key, winner, sibling, null, cancellationToken).ConfigureAwait(false) is { Clean: true } merged)
                {
                    (merges ??= []).Add(ConcurrentEdits.MergedVersion(entry.Key, winner, sibling, merged.Text));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                ConcurrentEdits.MergeFailed(logger, space, entry.Key, ex);
            }
        }

        if (merges is null)
        {
            return;
        }

        try
        {
            await CommitAsync(space, merges, cancellationToken).ConfigureAwait(false);
            metrics.AutoMerged(merges.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The push itself is in; its notes stay in conflict, which a person can resolve.
            ConcurrentEdits.MergeFailed(logger, space, merges[0].Key, ex);
        }
    }

    /// <summary>
    /// The merge suggestion for <paramref name="key"/> (docs/protocol.md §4.13), or <c>not_found</c> when the note is
    /// not two heads of text with a version both were edited from in the history.
    /// </summary>
    public async Task<(MergeSuggestion? Suggestion, ErrorFrame? Error)> ReadMergeSuggestionAsync(string space, string key, string? requestId, CancellationToken cancellationToken)
    {
        if (HistoryKeyError(key, requestId) is { } invalid)
        {
            return (null, invalid);
        }

        return await AnswerFromStoreAsync<MergeSuggestion>(
            space,
            requestId,
            async () =>
            {
                var history = await ReadHistoryRecordsAsync(space, key, cancellationToken).ConfigureAwait(false);
                var heads = new List<Write>(2);
                foreach (var head in history.Where(r => r.IsHead))
                {
                    if (await store.ReadVersionAsync(space, key, head.Timestamp, head.DeviceId, cancellationToken).ConfigureAwait(false) is { } text)
                    {
                        heads.Add(new Write(head.Timestamp, head.DeviceId, text.Value));
                    }
                }

                heads.Sort(static (a, b) => Write.CompareHeads(b, a));
                if (heads.Count == 2 && await MergeOfAsync(space, key, heads[0], heads[1], history, cancellationToken).ConfigureAwait(false) is { } merged)
                {
                    return (new MergeSuggestion
                    {
                        Key = key,
                        Clean = merged.Clean,
                        Value = merged.Text,
                        Base = [.. heads.Select(h => new VersionRef { Timestamp = h.Timestamp, DeviceId = h.DeviceId })],
                        RequestId = requestId,
                    }, null);
                }

                return (null, new ErrorFrame { Code = ErrorCodes.NotFound, Message = $"{key} is not two edits of text made from a version its history holds", RequestId = requestId });
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The line merge of heads <paramref name="winner"/> and <paramref name="sibling"/> of <paramref name="key"/>
    /// from the newest version both descend from, or null when they are not both text or the history holds
    /// no such version (with its text). <paramref name="history"/> is the key's, when the caller has read it already.
    /// </summary>
    private async Task<MergedText?> MergeOfAsync(string space, string key, Write winner, Write sibling, IReadOnlyList<NoteVersionRecord>? history, CancellationToken cancellationToken)
    {
        if (winner.Value is null || sibling.Value is null || string.Equals(winner.Value, sibling.Value, StringComparison.Ordinal))
        {
            return null;
        }

        history ??= await ReadHistoryRecordsAsync(space, key, cancellationToken).ConfigureAwait(false);
        if (ConcurrentEdits.CommonOrigin(history, VersionId.Of(winner), VersionId.Of(sibling)) is not { } origin
            || await store.ReadVersionAsync(space, key, origin.Timestamp, origin.DeviceId, cancellationToken).ConfigureAwait(false) is not { Value: { } originText })
        {
            return null;
        }

        return ConcurrentEdits.Merge(originText, winner, sibling);
    }
}
