using NoteSync.Shared.Crdt;

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
    /// For each key of <paramref name="replica"/>: all its writes when the reset did not send the key,
    /// sent it with a lower timestamp, or sent it at the same timestamp without one of the replica's
    /// values. Ordered by timestamp (then key, then the replica's best-first order), because each push
    /// raises the restored clock for the next and so keeps later re-uploads within the clock bound.
    /// </summary>
    public static List<(string Key, Write Write)> Compute(IReadOnlyDictionary<string, EntryState> replica, IReadOnlyDictionary<string, EntryState> sent)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(sent);
        var writes = new List<(string Key, Write Write, int Rank)>();
        foreach (var (key, mine) in replica)
        {
            if (!ServerLacks(mine, sent.GetValueOrDefault(key)))
            {
                continue;
            }

            var rank = 0;
            foreach (var w in mine.Writes)
            {
                writes.Add((key, w, rank++));
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
        return [.. writes.Select(w => (w.Key, w.Write))];
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
