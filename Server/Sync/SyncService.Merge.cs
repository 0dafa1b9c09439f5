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
    /// After a commit: every note the push left with exactly two heads, both text and one of them the push's
    /// own write, is merged when the two changed different lines of a version both were edited from. The
    /// merged version is (the higher head's timestamp + 1, <see cref="DeviceIds.Merge"/>, the text) with
    /// both heads as its base, so two nodes that merge the same pair write the same version, and the second
    /// changes nothing. A merge that fails leaves the conflict for a person, as with the setting off.
    /// </summary>
    private async Task MergeConcurrentEditsAsync(string space, ApplyResult applied, Dictionary<string, Write> sent, KeyedWrite[] writes, CancellationToken cancellationToken)
    {
        List<KeyedWrite>? merges = null;
        foreach (var entry in applied.Changed)
        {
            if (entry.State.Writes.Length != 2 || !sent.TryGetValue(entry.Key, out var mine) || !NamesAVersion(writes, entry.Key))
            {
                continue;
            }

            Write[] heads = [entry.State.Writes[0], entry.State.Writes[1]];
            if (heads[0] != mine && heads[1] != mine)
            {
                continue;
            }

            try
            {
                if (await MergeOfAsync(space, entry.Key, heads[0], heads[1], null, cancellationToken).ConfigureAwait(false) is { Clean: true } merged)
                {
                    var write = new Write(Math.Max(heads[0].Timestamp, heads[1].Timestamp) + 1, DeviceIds.Merge, merged.Text);
                    (merges ??= []).Add(new KeyedWrite(entry.Key, write, [VersionId.Of(heads[0]), VersionId.Of(heads[1])]));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.MergeFailed(logger, space, entry.Key, ex);
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
            Log.MergeFailed(logger, space, merges[0].Key, ex);
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
        if (CommonOrigin(history, VersionId.Of(winner), VersionId.Of(sibling)) is not { } origin
            || await store.ReadVersionAsync(space, key, origin.Timestamp, origin.DeviceId, cancellationToken).ConfigureAwait(false) is not { Value: { } originText })
        {
            return null;
        }

        return ThreeWayMerge.Merge(originText, winner.Value, sibling.Value, winner.DeviceId, sibling.DeviceId);
    }

    // Whether the push's last write of key (the one in sent) names a version it was edited from. One that
    // names none (no base: a client of the original protocol, an equal-timestamp conflict; or [] for a new
    // note) has no version in common with the other head, so it is never merged and its history not read.
    private static bool NamesAVersion(KeyedWrite[] writes, string key) =>
        Array.FindLast(writes, w => string.Equals(w.Key, key, StringComparison.Ordinal)).Base is { Length: > 0 };

    // The newest version (in commit order) that both a and b were edited from, following bases through the
    // history; null when their bases meet nowhere the history holds.
    private static VersionId? CommonOrigin(IReadOnlyList<NoteVersionRecord> newestFirst, VersionId a, VersionId b)
    {
        var bases = newestFirst.ToDictionary(r => r.Id, r => r.Base);
        var fromA = Ancestors(bases, a);
        var fromB = Ancestors(bases, b);
        foreach (var record in newestFirst)
        {
            if (record.Id != a && record.Id != b && fromA.Contains(record.Id) && fromB.Contains(record.Id))
            {
                return record.Id;
            }
        }

        return null;
    }

    private static HashSet<VersionId> Ancestors(Dictionary<VersionId, VersionId[]?> bases, VersionId of)
    {
        var seen = new HashSet<VersionId>();
        var todo = new Stack<VersionId>();
        todo.Push(of);
        while (todo.TryPop(out var next))
        {
            if (seen.Add(next) && bases.TryGetValue(next, out var parents) && parents is not null)
            {
                foreach (var parent in parents)
                {
                    todo.Push(parent);
                }
            }
        }

        return seen;
    }
}
