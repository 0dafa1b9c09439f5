using NoteSync.Server.Fanout;
using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Unit;

/// <summary>
/// The doorbell's messages: a commit goes out and comes back as the same entries; a message of the
/// older form, or a commit that is not one, is read as a cursor alone; and a node that reads only the
/// older form takes the newer one for another node's ring.
/// </summary>
public sealed class RingMessageTests
{
    private static readonly ApplyResult Commit = new(
        10,
        12,
        [
            new StoredEntry("note:a", 11, EntryState.Of(new Write(7, "phone", "Καλημέρα \"quoted\"\n"))),
            new StoredEntry("note:b", 12, EntryState.OfHeads([new Write(8, "laptop", "one"), new Write(8, "phone", "two")], ReplacedVersions.Of(5, [new VersionId(6, "tablet")]))),
        ],
        [])
    { Epoch = "e-1" };

    [Fact]
    public void ACommitComesBackAsTheSameEntries()
    {
        var text = RingMessage.Of(12, "node-a", Commit);

        Assert.True(RingMessage.TryRead(text, out var cursor, out var node, out var commit));

        Assert.Equal(12, cursor);
        Assert.Equal("node-a", node.ToString());
        Assert.NotNull(commit);
        Assert.Equal((10L, 12L, "e-1"), (commit.PreviousCursor, commit.Cursor, commit.Epoch));
        Assert.Equal(Commit.Changed.Select(Describe), commit.Changed.Select(Describe));
        Assert.Contains("Καλημέρα", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOlderFormIsACursorAlone()
    {
        Assert.True(RingMessage.TryRead("42 node-b", out var cursor, out var node, out var commit));

        Assert.Equal((42L, "node-b"), (cursor, node.ToString()));
        Assert.Null(commit);
    }

    [Theory]
    [InlineData("12 node-a {not json")]
    [InlineData("12 node-a {\"after\":10,\"seqs\":[11],\"changes\":[]}")]
    [InlineData("12 node-a {\"after\":10,\"seqs\":[12,11],\"changes\":[{\"key\":\"note:a\",\"value\":\"x\",\"timestamp\":1,\"device_id\":\"d\"},{\"key\":\"note:b\",\"value\":\"x\",\"timestamp\":1,\"device_id\":\"d\"}]}")]
    [InlineData("12 node-a {\"after\":10,\"seqs\":[11],\"changes\":[{\"key\":\"note:a\",\"value\":\"x\",\"timestamp\":1,\"device_id\":\"d\"}]}")]
    [InlineData("12 node-a {\"after\":12,\"seqs\":[12],\"changes\":[{\"key\":\"note:a\",\"value\":\"x\",\"timestamp\":1,\"device_id\":\"d\"}]}")]
    public void WhatIsNotACommitIsReadAsItsCursorAlone(string text)
    {
        Assert.True(RingMessage.TryRead(text, out var cursor, out var node, out var commit));

        Assert.Equal((12L, "node-a"), (cursor, node.ToString()));
        Assert.Null(commit);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x node-a")]
    [InlineData("-1 node-a")]
    [InlineData("12")]
    public void AMessageWithoutACursorIsMalformed(string text) =>
        Assert.False(RingMessage.TryRead(text, out _, out _, out _));

    [Fact]
    public void ANodeOfTheOlderFormTakesACommitForAnotherNodesRing()
    {
        // The older reader: the cursor up to the first blank, and everything after it compared with its own id.
        var text = RingMessage.Of(12, "node-a", Commit);
        var blank = text.IndexOf(' ', StringComparison.Ordinal);

        Assert.Equal("12", text[..blank]);
        Assert.NotEqual("node-a", text[(blank + 1)..]);
        Assert.Equal("12 node-a", RingMessage.Of(12, "node-a", null));
    }

    private static (string Key, long Seq, string Writes, long Floor, string Named) Describe(StoredEntry e) => (
        e.Key,
        e.Seq,
        string.Join("|", e.State.Writes.ToArray().Select(w => $"{w.Timestamp}/{w.DeviceId}/{w.Value}")),
        e.State.Replaced.Floor,
        string.Join("|", e.State.Replaced.Named.ToArray().Select(v => $"{v.Timestamp}/{v.DeviceId}")));
}
