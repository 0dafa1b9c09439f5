using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

// The automatic merge inside the edit's commit (ISyncStore.MergesConcurrentEdits): run on the writer task,
// in the push's savepoint, so the merged version is durable with the edit and sent instead of the conflict.
internal sealed partial class SqliteSyncStore
{
    private const string MergeSavepoint = "merge";

    /// <summary>
    /// Merges the notes <paramref name="applied"/> left to merge (<see cref="ConcurrentEdits.Candidate"/>)
    /// and applies the clean merges as one more step of the same push, in a savepoint of its own: a merge
    /// the store refuses (a full space) or that fails leaves its notes in conflict and the push as it was.
    /// Returns the push's result with the merged entries in place of the edits'.
    /// </summary>
    private ApplyResult MergeInCommit(
        SqliteTransaction transaction,
        ApplyRequest request,
        ApplyResult applied,
        Dictionary<string, long> groupClocks,
        Dictionary<(string Space, string Key), EntryState?> groupStates)
    {
        var space = request.Space;
        List<KeyedWrite>? merges = null;
        foreach (var entry in applied.Changed)
        {
            if (ConcurrentEdits.Candidate(entry, request.Writes) is not var (winner, sibling))
            {
                continue;
            }

            try
            {
                if (OriginTextOf(transaction, space, entry.Key, winner, sibling) is { } origin
                    && ConcurrentEdits.Merge(origin, winner, sibling) is { Clean: true } merged)
                {
                    (merges ??= []).Add(ConcurrentEdits.MergedVersion(entry.Key, winner, sibling, merged.Text));
                }
            }
            catch (Exception ex) when (!IsDiskFull(ex))
            {
                ConcurrentEdits.MergeFailed(_logger, space, entry.Key, ex);
            }
        }

        if (merges is null)
        {
            return applied;
        }

        transaction.Save(MergeSavepoint);
        ApplyResult merging;
        try
        {
            merging = ApplyOne(transaction, space, [.. merges], groupClocks, groupStates);
            transaction.Release(MergeSavepoint);
        }
        catch (Exception ex) when (!IsDiskFull(ex))
        {
            transaction.Rollback(MergeSavepoint);
            transaction.Release(MergeSavepoint);
            ConcurrentEdits.MergeFailed(_logger, space, merges[0].Key, ex);
            return applied;
        }

        Remember(space, merging, groupClocks, groupStates);
        return WithMerges(applied, merging);
    }

    // The text of the newest version both heads were edited from, read in the writer's transaction (the
    // push's edit is in the history already); null when the history holds none.
    private string? OriginTextOf(SqliteTransaction transaction, string space, string key, Write winner, Write sibling)
    {
        var history = new List<NoteVersionRecord>();
        using (var command = _writeConnection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = KeyVersionsSql;
            command.Parameters.AddWithValue("$space", space);
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$limit", _history.VersionsPerNote + _noteLimits.MaxWritesPerNote);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                history.Add(ReadVersion(reader));
            }
        }

        return ConcurrentEdits.CommonOrigin(history, VersionId.Of(winner), VersionId.Of(sibling)) is { } origin
            ? ReadVersionText(_writeConnection, transaction, space, key, origin.Timestamp, origin.DeviceId)?.Value
            : null;
    }

    // The push's result and its merges' as one: each merged key once, with the merged state and seq.
    private static ApplyResult WithMerges(ApplyResult applied, ApplyResult merging)
    {
        if (merging.Changed.Count == 0)
        {
            return applied;
        }

        var merged = merging.Changed.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var changed = applied.Changed.Where(e => !merged.Contains(e.Key)).Concat(merging.Changed).ToArray();
        Array.Sort(changed, static (a, b) => a.Seq.CompareTo(b.Seq));
        return applied with { Cursor = merging.Cursor, Changed = changed, AutoMerged = merging.Changed.Count };
    }
}
