using NoteSync.Shared.Crdt;
using NoteSync.Shared.Merge;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Stores;

/// <summary>
/// The automatic merge's rules (docs/protocol.md §2.3), one copy for the store that merges inside the
/// edit's commit (SQLite) and for the sync service, which merges after it (Redis): which notes a push
/// leaves to merge, the version both heads were edited from, and the version a clean merge writes.
/// </summary>
internal static partial class ConcurrentEdits
{
    /// <summary>Event 253 (the sync service's range, whichever of the two merges): the note stays in conflict.</summary>
    [LoggerMessage(EventId = 253, EventName = "AutoMergeFailed", Level = LogLevel.Warning,
        Message = "Could not merge the concurrent edits of {Key} in space {Space}; the note stays in conflict")]
    public static partial void MergeFailed(ILogger logger, string space, string key, Exception exception);

    /// <summary>
    /// The two heads of <paramref name="entry"/> to merge, winner first, when the push left it with exactly
    /// two heads of different text, one of them the push's last write of the key and that write naming a
    /// version it was edited from; else null. A write that names none (no base: a client of the original
    /// protocol, an equal-timestamp conflict; or [] for a new note) shares no version with the other head,
    /// so its note's history is never read.
    /// </summary>
    public static (Write Winner, Write Sibling)? Candidate(StoredEntry entry, IReadOnlyList<KeyedWrite> push)
    {
        var heads = entry.State.Writes;
        if (heads.Length != 2 || heads[0].Value is null || heads[1].Value is null || string.Equals(heads[0].Value, heads[1].Value, StringComparison.Ordinal))
        {
            return null;
        }

        for (var i = push.Count - 1; i >= 0; i--)
        {
            if (string.Equals(push[i].Key, entry.Key, StringComparison.Ordinal))
            {
                var mine = push[i];
                return mine.Base is { Length: > 0 } && (heads[0] == mine.Write || heads[1] == mine.Write) ? (heads[0], heads[1]) : null;
            }
        }

        return null;
    }

    /// <summary>
    /// The newest version (in commit order) that both <paramref name="a"/> and <paramref name="b"/> were
    /// edited from, following bases through <paramref name="newestFirst"/>; null when their bases meet
    /// nowhere the history holds.
    /// </summary>
    public static VersionId? CommonOrigin(IReadOnlyList<NoteVersionRecord> newestFirst, VersionId a, VersionId b)
    {
        var bases = new Dictionary<VersionId, VersionId[]?>(newestFirst.Count);
        foreach (var record in newestFirst)
        {
            bases[record.Id] = record.Base;
        }

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

    /// <summary>The line merge of the two heads from their common version's text.</summary>
    public static MergedText Merge(string originText, Write winner, Write sibling) =>
        ThreeWayMerge.Merge(originText, winner.Value!, sibling.Value!, winner.DeviceId, sibling.DeviceId);

    /// <summary>
    /// The version a clean merge writes: (the higher head's timestamp + 1, <see cref="DeviceIds.Merge"/>, the
    /// text), both heads as its base, so two nodes that merge the same pair write the same version, and the
    /// second changes nothing.
    /// </summary>
    public static KeyedWrite MergedVersion(string key, Write winner, Write sibling, string text) =>
        new(key, new Write(Math.Max(winner.Timestamp, sibling.Timestamp) + 1, DeviceIds.Merge, text), [VersionId.Of(winner), VersionId.Of(sibling)]);

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
