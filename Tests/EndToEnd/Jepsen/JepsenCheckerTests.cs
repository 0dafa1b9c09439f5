using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// The checker on synthetic histories: a checker that cannot fail proves nothing, so each bug it
/// hunts is planted here and must be reported, and what the LWW rules allow must not be.
/// </summary>
public sealed class JepsenCheckerTests
{
    private static readonly Write A1 = new(10, "writer-a", "writer-a/1");
    private static readonly Write B1 = new(12, "writer-b", "writer-b/1");
    private static readonly Write B2 = new(12, "writer-b", "writer-b/2");
    private static readonly Write C1 = new(12, "writer-c", "writer-c/1");

    [Fact]
    public void AHistoryTheRulesAllowHasNoViolations()
    {
        // Arrange: A1 acked but beaten by a higher timestamp; B2 acked, a sibling of C1 at the same
        // timestamp; an unknown push that landed after all; a `more` page below the frame before it.
        var history = new JepsenHistory();
        Push(history, "writer-a", PushOutcome.Acked, ("note:shared", A1));
        Push(history, "writer-b", PushOutcome.Acked, ("note:shared", B2));
        Push(history, "writer-c", PushOutcome.Unknown, ("note:shared", C1));
        Push(history, "writer-a", PushOutcome.Failed, ("note:a/2", A1 with { Value = "refused but landed" }));
        Connection(history, "writer-a#c1", (5, false), (3, true), (7, false), (7, false));
        var state = Space(("note:shared", [B2, C1]), ("note:a/2", [A1 with { Value = "refused but landed" }]));

        // Act
        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, state), Read("final-reader-n1", 1, state)], [Read("observer-ws-n2", 2, state)]);

        // Assert
        Assert.Empty(violations);
    }

    [Fact]
    public void ASyntheticHistoryWithALostWriteADivergedNodeAndAnAckGoingBackReportsEach()
    {
        var history = new JepsenHistory();
        Push(history, "writer-a", PushOutcome.Acked, ("note:a/1", A1));
        Push(history, "writer-b", PushOutcome.Acked, ("note:b/1", B1));
        Connection(history, "writer-b#c2", (5, false), (9, false), (8, false));
        var full = Space(("note:a/1", [A1]), ("note:b/1", [B1]));
        var lostA1 = Space(("note:b/1", [B1]));

        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, full), Read("final-reader-n1", 1, lostA1)], []);

        var lost = Assert.Single(violations, v => v.Kind == ViolationKind.LostAckedWrite);
        Assert.Contains("note:a/1", lost.Message, StringComparison.Ordinal);
        Assert.Contains("writer-a/1", lost.Message, StringComparison.Ordinal);
        Assert.Contains("final-reader-n1 on node 1", lost.Message, StringComparison.Ordinal);
        var diverged = Assert.Single(violations, v => v.Kind == ViolationKind.Diverged);
        Assert.Contains("final-reader-n1 on node 1 differs from final-reader-n0 on node 0", diverged.Message, StringComparison.Ordinal);
        Assert.Contains("note:a/1", diverged.Message, StringComparison.Ordinal);
        var back = Assert.Single(violations, v => v.Kind == ViolationKind.AckTimestampWentBack);
        Assert.Contains("writer-b#c2", back.Message, StringComparison.Ordinal);
        Assert.Contains("ack_timestamp 8 in frame 3", back.Message, StringComparison.Ordinal);
        Assert.Equal(3, violations.Count);
    }

    [Fact]
    public void AnAckedWriteReplacedAtItsOwnTimestampIsLost()
    {
        // At an equal timestamp writes join; a state at that timestamp without the write lost it.
        var history = new JepsenHistory();
        Push(history, "writer-b", PushOutcome.Acked, ("note:shared", B2));
        var state = Space(("note:shared", [C1]));
        Push(history, "writer-c", PushOutcome.Acked, ("note:shared", C1));

        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, state)], []);

        var lost = Assert.Single(violations);
        Assert.Equal(ViolationKind.LostAckedWrite, lost.Kind);
        Assert.Contains("writer-b/2", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TiedWritesOfOneValueShowOnlyTheWinnerAndNeitherIsLost()
    {
        // Arrange: two devices delete the note at the same timestamp, and two others write the same
        // text at another tie. W holds both writes of each tie, but the wire lists as siblings only
        // values that differ from the winner's, so every reader sees the winner alone.
        var deleteByA = new Write(20, "writer-a", null);
        var deleteByB = new Write(20, "writer-b", null);
        var sameByA = new Write(21, "writer-a", "same text");
        var sameByC = new Write(21, "writer-c", "same text");
        var history = new JepsenHistory();
        Push(history, "writer-a", PushOutcome.Acked, ("note:deleted", deleteByA), ("note:same", sameByA));
        Push(history, "writer-b", PushOutcome.Acked, ("note:deleted", deleteByB));
        Push(history, "writer-c", PushOutcome.Acked, ("note:same", sameByC));
        var asTheWireShowsIt = Space(("note:deleted", [deleteByB]), ("note:same", [sameByC]));

        // Act
        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, asTheWireShowsIt), Read("final-reader-n1", 1, asTheWireShowsIt)], []);

        // Assert
        Assert.Empty(violations);
    }

    [Fact]
    public void AnAckedWriteTiedWithAWinnerOfAnotherValueIsLostWhenNotListedAsASibling()
    {
        // A differing value at the same timestamp is always on the wire as a sibling; missing, it is lost.
        var deleteByA = new Write(20, "writer-a", null);
        var editByB = new Write(20, "writer-b", "kept");
        var history = new JepsenHistory();
        Push(history, "writer-a", PushOutcome.Acked, ("note:tied", deleteByA));
        Push(history, "writer-b", PushOutcome.Acked, ("note:tied", editByB));

        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, Space(("note:tied", [editByB])))], []);

        var lost = Assert.Single(violations);
        Assert.Equal(ViolationKind.LostAckedWrite, lost.Kind);
        Assert.Contains("(delete) @20 by writer-a", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALiveDeviceThatDidNotConvergeIsReported()
    {
        var history = new JepsenHistory();
        Push(history, "writer-a", PushOutcome.Acked, ("note:a/1", A1));
        Push(history, "writer-b", PushOutcome.Acked, ("note:b/1", B1));
        var full = Space(("note:a/1", [A1]), ("note:b/1", [B1]));

        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, full)], [Read("observer-hub-n2", 2, Space(("note:a/1", [A1])))]);

        var diverged = Assert.Single(violations);
        Assert.Equal(ViolationKind.Diverged, diverged.Kind);
        Assert.Contains("observer-hub-n2 on node 2", diverged.Message, StringComparison.Ordinal);
        Assert.Contains("note:b/1", diverged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWriteNoWriterSentIsReported()
    {
        var history = new JepsenHistory();
        Push(history, "writer-a", PushOutcome.Acked, ("note:a/1", A1));
        var state = Space(("note:a/1", [A1]), ("note:ghost", [new Write(3, "nobody", "boo")]));

        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, state)], []);

        var phantom = Assert.Single(violations);
        Assert.Equal(ViolationKind.PhantomWrite, phantom.Kind);
        Assert.Contains("note:ghost", phantom.Message, StringComparison.Ordinal);
        Assert.Contains("nobody", phantom.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APushAnsweredWithACursorOlderThanAnEarlierAnswerIsReported()
    {
        // Arrange: B1 is answered at cursor 50; A1, sent after that answer (on any node), gets 40.
        var history = new JepsenHistory();
        Push(history, "writer-b", PushOutcome.Acked, 50, ("note:b/1", B1));
        Thread.Sleep(5);
        Push(history, "writer-a", PushOutcome.Acked, 40, ("note:a/1", A1));
        var state = Space(("note:a/1", [A1]), ("note:b/1", [B1]));

        // Act
        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, state)], []);

        // Assert
        var stale = Assert.Single(violations);
        Assert.Equal(ViolationKind.StaleAckTimestamp, stale.Kind);
        Assert.Contains("push #2 by writer-a", stale.Message, StringComparison.Ordinal);
        Assert.Contains("ack_timestamp 40 < 50", stale.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlappingPushesMayBeAnsweredInAnyCursorOrder()
    {
        // Both in flight at once: the server may have served either first.
        var history = new JepsenHistory();
        var first = history.BeginPush("writer-b", "writer-b#c1@node0", 0, Transport.WebSocket, [new WrittenChange("note:b/1", B1)], isRetry: false);
        var second = history.BeginPush("writer-a", "writer-a#c1@node1", 1, Transport.Http, [new WrittenChange("note:a/1", A1)], isRetry: false);
        history.Complete(first, PushOutcome.Acked, 50);
        history.Complete(second, PushOutcome.Acked, 40);
        var state = Space(("note:a/1", [A1]), ("note:b/1", [B1]));

        Assert.Empty(JepsenChecker.Check(history, [Read("final-reader-n0", 0, state)], []));
    }

    [Fact]
    public void AnAckBelowTheTimestampItAcceptedIsReported()
    {
        var history = new JepsenHistory();
        Push(history, "writer-b", PushOutcome.Acked, 11, ("note:b/1", B1));

        var violations = JepsenChecker.Check(history, [Read("final-reader-n0", 0, Space(("note:b/1", [B1])))], []);

        var below = Assert.Single(violations);
        Assert.Equal(ViolationKind.AckBelowAcceptedTimestamp, below.Kind);
        Assert.Contains("writer-b/1", below.Message, StringComparison.Ordinal);
    }

    private static void Push(JepsenHistory history, string writer, PushOutcome outcome, params (string Key, Write Write)[] changes) =>
        Push(history, writer, outcome, 42, changes);

    private static void Push(JepsenHistory history, string writer, PushOutcome outcome, long ack, params (string Key, Write Write)[] changes)
    {
        var record = history.BeginPush(writer, $"{writer}#c1@node0", 0, Transport.WebSocket, [.. changes.Select(c => new WrittenChange(c.Key, c.Write))], isRetry: false);
        history.Complete(record, outcome, outcome == PushOutcome.Acked ? ack : null);
    }

    private static void Connection(JepsenHistory history, string id, params (long Ack, bool More)[] frames) =>
        history.AddConnection(new ConnectionLog(id, id.Split('#')[0], 0, Transport.WebSocket, "frames in wire order", [.. frames.Select(f => new ReceivedAck(f.Ack, f.More, null))]));

    private static Dictionary<string, EntryState> Space(params (string Key, Write[] Writes)[] entries) =>
        entries.ToDictionary(e => e.Key, e => EntryState.OfWrites(e.Writes), StringComparer.Ordinal);

    private static ReplicaState Read(string reader, int node, Dictionary<string, EntryState> entries) => new(reader, node, entries);
}
