using NoteSync.Client;
using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Unit.Client;

/// <summary>The re-upload decision after a reset: which of the replica's writes the server's new history lacks.</summary>
public sealed class ReuploadPlanTests
{
    private static Dictionary<string, EntryState> Map(params (string Key, Write[] Writes)[] entries) =>
        entries.ToDictionary(e => e.Key, e => EntryState.OfWrites(e.Writes), StringComparer.Ordinal);

    private static List<(string Key, Write Write)> Writes(IEnumerable<(string Key, Write Write, IReadOnlyList<VersionId>? Base)> plan) =>
        [.. plan.Select(p => (p.Key, p.Write))];

    private static List<string> Printed(IEnumerable<(string Key, Write Write, IReadOnlyList<VersionId>? Base)> plan) =>
        [.. plan.Select(p => $"{p.Key} {p.Write} [{(p.Base is null ? "none" : string.Join(",", p.Base))}]")];

    [Fact]
    public void KeyTheServerDidNotSendGoesUp()
    {
        var replica = Map(("note:a", [new Write(7, "phone", "kept here")]));
        var plan = ReuploadPlan.Compute(replica, Map());
        Assert.Equal([("note:a", new Write(7, "phone", "kept here"))], Writes(plan));
    }

    [Fact]
    public void KeyTheServerHoldsOlderGoesUp()
    {
        var replica = Map(("note:a", [new Write(9, "laptop", "new")]));
        var sent = Map(("note:a", [new Write(4, "laptop", "old")]));
        Assert.Equal([("note:a", new Write(9, "laptop", "new"))], Writes(ReuploadPlan.Compute(replica, sent)));
    }

    [Fact]
    public void KeyTheServerHoldsEqualOrNewerStaysDown()
    {
        var replica = Map(("note:same", [new Write(5, "a", "x")]), ("note:newer", [new Write(5, "a", "x")]));
        var sent = Map(("note:same", [new Write(5, "a", "x")]), ("note:newer", [new Write(8, "b", "y")]));
        Assert.Empty(ReuploadPlan.Compute(replica, sent));
    }

    [Fact]
    public void SameValueUnderAnotherDeviceIsNotLost()
    {
        // The server got the value back from another device's re-upload (which carries that device's id).
        var replica = Map(("note:a", [new Write(5, "phone", "x")]));
        var sent = Map(("note:a", [new Write(5, "tablet", "x")]));
        Assert.Empty(ReuploadPlan.Compute(replica, sent));
    }

    [Fact]
    public void ConflictMissingOneValueSendsThatValueAlone()
    {
        // The value the server holds would come back under this device's id: the same text twice in the conflict.
        var replica = Map(("note:c", [new Write(6, "phone", "from phone"), new Write(6, "laptop", "from laptop")]));
        var sent = Map(("note:c", [new Write(6, "phone", "from phone")]));
        Assert.Equal([("note:c", new Write(6, "laptop", "from laptop"))], Writes(ReuploadPlan.Compute(replica, sent)));

        // Held lower than the replica's top (an edit written after the restore), the same.
        var after = new Dictionary<string, EntryState>
        {
            ["note:d"] = EntryState.OfHeads([new Write(32, "laptop", "lost edit"), new Write(2, "phone", "edit since")], ReplacedVersions.Of(0, [])),
        };
        Assert.Equal([("note:d", new Write(32, "laptop", "lost edit"))], Writes(ReuploadPlan.Compute(after, Map(("note:d", [new Write(2, "phone", "edit since")])))));
    }

    [Fact]
    public void DeletesAreReuploaded()
    {
        var replica = Map(("note:gone", [new Write(12, "phone", null)]));
        var sent = Map(("note:gone", [new Write(3, "phone", "alive")]));
        Assert.Equal([("note:gone", new Write(12, "phone", null))], Writes(ReuploadPlan.Compute(replica, sent)));

        // A tombstone the server lacks, against a live value at the same timestamp, is a value it lacks.
        var tied = Map(("note:gone", [new Write(12, "laptop", "alive")]));
        Assert.Single(ReuploadPlan.Compute(replica, tied));
    }

    [Fact]
    public void WritesComeInTimestampOrderThenKey()
    {
        var replica = Map(
            ("note:z", [new Write(3, "d", "z")]),
            ("note:b", [new Write(50, "d", "b")]),
            ("note:a", [new Write(3, "d", "a")]),
            ("note:m", [new Write(20, "d", "m")]));
        var plan = ReuploadPlan.Compute(replica, Map(("note:m", [new Write(19, "d", "older")])));
        Assert.Equal(["note:a", "note:z", "note:m", "note:b"], plan.Select(p => p.Key));
        Assert.Equal([3L, 3, 20, 50], plan.Select(p => p.Write.Timestamp));
    }

    [Fact]
    public void KeysOnlyTheServerHasAskForNothing()
    {
        Assert.Empty(ReuploadPlan.Compute(Map(), Map(("note:theirs", [new Write(1, "x", "v")]))));
    }

    [Fact]
    public void PlanIsTheSameWhenComputedAgain()
    {
        // A crash between the decision and its commit computes it again from the same durable state.
        var replica = Map(("note:a", [new Write(2, "d", "a")]), ("note:b", [new Write(4, "d", "b"), new Write(4, "e", "c")]));
        var sent = Map(("note:b", [new Write(4, "d", "b")]));
        Assert.Equal(Printed(ReuploadPlan.Compute(replica, sent)), Printed(ReuploadPlan.Compute(replica, sent)));
    }

    [Fact]
    public void EachWriteNamesTheServersVersionsItHadReplacedHere()
    {
        // Lacked: an edit from nothing there. Older: the legacy state replaced everything below it, so it names that.
        var replica = Map(("note:new", [new Write(7, "phone", "kept here")]), ("note:old", [new Write(9, "laptop", "new")]));
        var sent = Map(("note:old", [new Write(4, "laptop", "old")]));
        var plan = ReuploadPlan.Compute(replica, sent).ToDictionary(p => p.Key);
        Assert.Equal([], plan["note:new"].Base!);
        Assert.Equal([new VersionId(4, "laptop")], plan["note:old"].Base!);
    }

    [Fact]
    public void AVersionWrittenSinceTheRestoreWithoutSeeingTheWriteIsNotNamed()
    {
        // Here: the laptop's edit (100) of v1 (10), and the phone's edit of v1 written after the restore (50), which
        // the reset brought, both heads. The server holds the phone's alone: the re-upload names nothing of it.
        var phones = new Write(50, "phone", "phone's edit after the restore");
        var mine = EntryState.OfHeads([new Write(100, "laptop", "laptop's edit"), phones], ReplacedVersions.Of(0, [new VersionId(10, "laptop")]));
        var theirs = EntryState.OfHeads([phones], ReplacedVersions.Of(0, [new VersionId(10, "laptop")]));
        var laptops = ReuploadPlan.Compute(new Dictionary<string, EntryState> { ["note:t"] = mine }, new Dictionary<string, EntryState> { ["note:t"] = theirs })
            .Single(p => p.Write.DeviceId == "laptop");
        Assert.Equal([], laptops.Base!);

        // Had the laptop's edit seen it (named it, so it is replaced here), it would name it.
        var seen = EntryState.OfHeads([new Write(100, "laptop", "laptop's edit")], ReplacedVersions.Of(0, [new VersionId(10, "laptop"), new VersionId(50, "phone")]));
        var plan = ReuploadPlan.Compute(new Dictionary<string, EntryState> { ["note:t"] = seen }, new Dictionary<string, EntryState> { ["note:t"] = theirs });
        Assert.Equal([new VersionId(50, "phone")], Assert.Single(plan).Base!);
    }
}
