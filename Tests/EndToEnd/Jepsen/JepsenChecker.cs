using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// Judges a finished run. Pure: it sees only the history and the final states, so a synthetic history
/// proves it catches each kind of bug (see <c>JepsenCheckerTests</c>).
/// </summary>
internal static class JepsenChecker
{
    /// <summary>
    /// Every violation found. <paramref name="nodeReads"/> are the fresh pulls (one per node, the first
    /// is the reference); <paramref name="liveDevices"/> the devices that stayed connected, after their catch-up time.
    /// </summary>
    public static IReadOnlyList<Violation> Check(JepsenHistory history, IReadOnlyList<ReplicaState> nodeReads, IReadOnlyList<ReplicaState> liveDevices)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodeReads.Count);
        var violations = new List<Violation>();
        var pushes = history.Pushes;
        CheckAckedWritesSurvive(pushes, nodeReads, violations);
        CheckSameState(nodeReads[0], nodeReads.Skip(1).Concat(liveDevices), violations);
        CheckNoPhantoms(pushes, nodeReads.Concat(liveDevices), violations);
        CheckAckTimestampsNeverGoBack(history.Connections, violations);
        CheckCursorAcrossPushes(pushes, violations);
        return violations;
    }

    // An acked write survives when the key's state holds writes of a higher timestamp (LwwMerge
    // replaces W only then), or, at its own timestamp, shows its value. The reads are what the wire
    // shows: the winner, and as siblings only the writes whose value differs from the winner's
    // (docs/protocol.md §2). So a write tied with another of the same value (two devices deleting one note at
    // one timestamp) is covered by that other write and may be absent from the read by itself.
    private static void CheckAckedWritesSurvive(IReadOnlyList<PushRecord> pushes, IReadOnlyList<ReplicaState> nodeReads, List<Violation> violations)
    {
        foreach (var push in pushes.Where(p => p.Outcome == PushOutcome.Acked))
        {
            foreach (var change in push.Changes)
            {
                foreach (var read in nodeReads)
                {
                    var state = read.Entries.GetValueOrDefault(change.Key);
                    if (state is not null && (state.Timestamp > change.Write.Timestamp || ShowsValueAtItsTimestamp(state, change.Write)))
                    {
                        continue;
                    }

                    violations.Add(new Violation(
                        ViolationKind.LostAckedWrite,
                        $"{change} was acknowledged (ack_timestamp {push.AckTimestamp}) to {push.Writer} on node {push.Node} over {push.Transport} ({push.ConnectionId}), "
                        + $"but {read.Reader} on node {read.Node} holds {StateAssert.Describe(state)}"));
                }
            }
        }
    }

    private static bool ShowsValueAtItsTimestamp(EntryState state, Write write)
    {
        if (state.Timestamp != write.Timestamp)
        {
            return false;
        }

        foreach (var shown in state.Writes)
        {
            if (string.Equals(shown.Value, write.Value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckSameState(ReplicaState reference, IEnumerable<ReplicaState> others, List<Violation> violations)
    {
        foreach (var other in others)
        {
            var differences = reference.Entries.Keys.Union(other.Entries.Keys, StringComparer.Ordinal)
                .Where(key => !StateAssert.Same(reference.Entries.GetValueOrDefault(key), other.Entries.GetValueOrDefault(key)))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (differences.Count == 0)
            {
                continue;
            }

            var shown = differences.Take(5).Select(key =>
                $"{key}: {reference.Reader} on node {reference.Node} holds {StateAssert.Describe(reference.Entries.GetValueOrDefault(key))}, "
                + $"{other.Reader} on node {other.Node} holds {StateAssert.Describe(other.Entries.GetValueOrDefault(key))}");
            violations.Add(new Violation(
                ViolationKind.Diverged,
                $"{other.Reader} on node {other.Node} differs from {reference.Reader} on node {reference.Node} in {differences.Count} key(s): "
                + string.Join("; ", shown)));
        }
    }

    private static void CheckNoPhantoms(IReadOnlyList<PushRecord> pushes, IEnumerable<ReplicaState> replicas, List<Violation> violations)
    {
        // Whatever the outcome: an unanswered or refused push may still have landed.
        var sent = pushes.SelectMany(p => p.Changes).ToHashSet();
        foreach (var replica in replicas)
        {
            foreach (var (key, state) in replica.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                foreach (var write in state.Writes)
                {
                    if (!sent.Contains(new WrittenChange(key, write)))
                    {
                        violations.Add(new Violation(
                            ViolationKind.PhantomWrite,
                            $"{replica.Reader} on node {replica.Node} holds {new WrittenChange(key, write)}, which no writer ever sent"));
                    }
                }
            }
        }
    }

    // A more page carries the seq of its last change, which may be below a frame before it by design
    // (docs/protocol.md §3); every other frame carries the cursor, which never goes back.
    private static void CheckAckTimestampsNeverGoBack(IReadOnlyList<ConnectionLog> connections, List<Violation> violations)
    {
        foreach (var connection in connections)
        {
            long highest = 0;
            var index = 0;
            foreach (var ack in connection.Acks)
            {
                index++;
                if (ack.More)
                {
                    continue;
                }

                if (ack.AckTimestamp < highest)
                {
                    violations.Add(new Violation(
                        ViolationKind.AckTimestampWentBack,
                        $"{connection.Device} on node {connection.Node} over {connection.Transport} ({connection.ConnectionId}, {connection.Sequence}) "
                        + $"got ack_timestamp {ack.AckTimestamp} in frame {index}{(ack.RequestId is { } id ? $" (request {id})" : " (live)")} after {highest}"));
                }

                highest = Math.Max(highest, ack.AckTimestamp);
            }
        }
    }

    // Real-time order: a push sent after another was answered was served later, on whatever node, so
    // its cursor is at least the earlier answer's. `more` pages carry a seq, not the cursor: left out.
    private static void CheckCursorAcrossPushes(IReadOnlyList<PushRecord> pushes, List<Violation> violations)
    {
        var answered = pushes.Where(p => p is { Outcome: PushOutcome.Acked, AckMore: false, AckTimestamp: not null, AnsweredAt: not null })
            .OrderBy(p => p.AnsweredAt)
            .ToList();
        foreach (var push in answered)
        {
            var highest = push.Changes.Max(c => (long?)c.Write.Timestamp);
            if (push.AckTimestamp < highest)
            {
                violations.Add(new Violation(
                    ViolationKind.AckBelowAcceptedTimestamp,
                    $"{push} is below the timestamp {highest} it accepted: {string.Join(", ", push.Changes)}"));
            }
        }

        // Walk the pushes by send time, keeping the highest cursor answered before each was sent.
        var bySent = answered.OrderBy(p => p.SentAt).ToList();
        var next = 0;
        PushRecord? best = null;
        foreach (var push in bySent)
        {
            while (next < answered.Count && answered[next].AnsweredAt < push.SentAt)
            {
                if (best is null || answered[next].AckTimestamp > best.AckTimestamp)
                {
                    best = answered[next];
                }

                next++;
            }

            if (best is not null && push.AckTimestamp < best.AckTimestamp)
            {
                violations.Add(new Violation(
                    ViolationKind.StaleAckTimestamp,
                    $"{push} was sent at {push.SentAt:mm\\:ss\\.fff}, after {best} was answered at {best.AnsweredAt:mm\\:ss\\.fff}, "
                    + $"but got ack_timestamp {push.AckTimestamp} < {best.AckTimestamp}"));
            }
        }
    }
}
