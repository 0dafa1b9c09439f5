using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// What a device pushes again after a reset (docs/protocol.md, "Epochs and resets"): the replica's
/// writes of every key the server's new history lacks or holds older. A pure function of the replica
/// (which has already merged everything the reset sent) and the states the reset sent, so it can be
/// computed again after a crash from the same durable state and give the same answer.
/// </summary>
internal static class ReuploadPlan
{
    /// <summary>
    /// For each key of <paramref name="replica"/> the reset did not send, sent with a lower timestamp, or
    /// sent at the same timestamp without one of the replica's values: its writes, but those whose value
    /// the server holds at their timestamp. Ordered by timestamp (then key, then the replica's best-first
    /// order), because each push raises the restored clock for the next and so keeps later re-uploads
    /// within the clock bound.
    /// </summary>
    /// <remarks>
    /// Each write goes with the base <see cref="BaseOf"/> gives: the server's versions it had replaced here, so it
    /// replaces them there and nothing else; a version written since the restore without seeing it stays beside it.
    /// </remarks>
    public static List<(string Key, Write Write, IReadOnlyList<VersionId>? Base)> Compute(IReadOnlyDictionary<string, EntryState> replica, IReadOnlyDictionary<string, EntryState> sent)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(sent);
        var writes = new List<(string Key, Write Write, IReadOnlyList<VersionId>? Base, int Rank)>();
        foreach (var (key, mine) in replica)
        {
            var theirs = sent.GetValueOrDefault(key);
            if (!ServerLacks(mine, theirs))
            {
                continue;
            }

            var rank = 0;
            foreach (var w in mine.Writes)
            {
                // A value the server holds at that timestamp, under whichever device, is not lost: sent again
                // under this device's id it would only show twice.
                if (!Holds(theirs, w))
                {
                    writes.Add((key, w, BaseOf(mine, theirs, w), rank++));
                }
            }
        }

        writes.Sort(static (a, b) =>
        {
            var byTimestamp = a.Write.Timestamp.CompareTo(b.Write.Timestamp);
            if (byTimestamp != 0)
            {
                return byTimestamp;
            }

            var byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : a.Rank.CompareTo(b.Rank);
        });
        return [.. writes.Select(w => (w.Key, w.Write, w.Base))];
    }

    /// <summary>
    /// The base of re-uploading <paramref name="write"/>: the heads of <paramref name="theirs"/> (the server's state,
    /// null when it lacks the key: <c>[]</c>) that <paramref name="mine"/> counts replaced and that are older than the
    /// write (a base names only older versions, docs/protocol.md §4.2). Null (the timestamp rule) when they are
    /// more than a base may name.
    /// </summary>
    internal static IReadOnlyList<VersionId>? BaseOf(EntryState mine, EntryState? theirs, in Write write)
    {
        var named = new List<VersionId>();
        foreach (var head in theirs is null ? [] : theirs.Writes)
        {
            var id = VersionId.Of(head);
            if (head.Timestamp < write.Timestamp && mine.Replaced.Covers(head) && !named.Contains(id))
            {
                named.Add(id);
            }
        }

        return named.Count <= ProtocolLimits.MaxBaseVersions ? named : null;
    }

    private static bool Holds(EntryState? theirs, in Write write)
    {
        foreach (var t in theirs is null ? [] : theirs.Writes)
        {
            if (t.Timestamp == write.Timestamp && string.Equals(t.Value, write.Value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the server's state (<paramref name="theirs"/>, null when not sent) is missing something of <paramref name="mine"/>.</summary>
    internal static bool ServerLacks(EntryState mine, EntryState? theirs)
    {
        ArgumentNullException.ThrowIfNull(mine);
        if (theirs is null || theirs.Timestamp < mine.Timestamp)
        {
            return true;
        }

        if (theirs.Timestamp > mine.Timestamp)
        {
            return false;
        }

        // Same timestamp: values decide, not device ids, because a re-upload can only carry the uploader's
        // device id; a value the server holds under another device is not lost.
        foreach (var w in mine.Writes)
        {
            var found = false;
            foreach (var t in theirs.Writes)
            {
                if (string.Equals(t.Value, w.Value, StringComparison.Ordinal))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return true;
            }
        }

        return false;
    }
}
