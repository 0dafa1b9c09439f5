using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>Redis's history: a text is stored once, and data written before history keeps working.</summary>
public sealed partial class RedisSyncStoreTests
{
    [Fact]
    public async Task AHeadsTextIsStoredOnlyInItsEntryAndMovesToHistoryWhenReplaced()
    {
        // Arrange
        var keys = RedisKeys.For(SpaceA);
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "first")));
        var whileHead = (string)(await Database.HashGetAsync(keys[7], "note:a"))!;

        // Act
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-a", "second")));

        // Assert: the record held no text while "first" was a head; then it holds "first" (short, so in
        // the record itself, not in hv or hd), and "second" is the entry's.
        Assert.EndsWith("n", whileHead, StringComparison.Ordinal);
        Assert.Contains("w5:first", (string)(await Database.HashGetAsync(keys[7], "note:a"))!, StringComparison.Ordinal);
        Assert.Equal(0, await Database.HashLengthAsync(keys[8]) + await Database.HashLengthAsync(keys[11]));
        Assert.Equal("first", (await Store.ReadVersionAsync(SpaceA, "note:a", 1, "dev-a").DefaultTimeout())!.Value);
        Assert.Equal("second", (await Store.ReadVersionAsync(SpaceA, "note:a", 2, "dev-a").DefaultTimeout())!.Value);
    }

    [Fact]
    public async Task HoldMembersOfOneVersionEachAsEarlierStoresWroteThemAreStillDroppedOldestFirst()
    {
        // Arrange: note a with two replaced versions (orders 1 and 2), its hold rewritten as stores before
        // one member per note wrote it: one '<order>,<key>' member per replaced version. 15 bytes a version.
        var keys = RedisKeys.For(SpaceA);
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a-1-------")));
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-a", "a-2-------")));
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", "a-3-------")));
        var perNote = await Database.SortedSetRangeByRankWithScoresAsync(keys[9]);
        await Database.KeyDeleteAsync(keys[9]);
        await Database.SortedSetAddAsync(keys[9], [new("1,note:a", 1), new("2,note:a", 2)]);
        await RestartAsync(HistoryLimits.Default with { MaxBytesPerSpace = 30 });

        // Act: b1 takes the space to 60 bytes, so both of a's replaced versions go.
        await ApplyAsync(SpaceA, ("note:b", new Write(4, "dev-a", "b-1-------")));

        // Assert: today's layout is one member per note, scored by its oldest replaced version; the
        // old members went with their versions, and no member is left for notes that are heads alone.
        Assert.Equal([("note:a", 1.0)], perNote.Select(m => ((string)m.Element!, m.Score)));
        Assert.Equal([3L], (await Store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout()).Select(v => v.Timestamp));
        Assert.Equal(0, await Database.SortedSetLengthAsync(keys[9]));
    }

    [Fact]
    public async Task AReplacedVersionIsKeptAsASpliceOfTheNextAndReadsBackExactly()
    {
        // Arrange: a 40-line note edited 12 times, a line each, from the version before; then deleted.
        var keys = RedisKeys.For(SpaceA);
        var lines = Enumerable.Range(0, 40).Select(i => $"line {i} of a note kept for its history, é").ToArray();
        var texts = new List<string?>();
        VersionId[] previous = [];
        for (var edit = 1; edit <= 12; edit++)
        {
            lines[(edit * 7) % 40] = $"line {(edit * 7) % 40}, edit {edit}";
            var write = new Write(edit, "laptop", string.Join("\n", lines));
            texts.Add(write.Value);
            await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", write, previous)]).DefaultTimeout();
            previous = [VersionId.Of(write)];
        }

        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(13, "phone", null), previous)]).DefaultTimeout();

        // Act
        var read = new List<string?>();
        for (var edit = 1; edit <= 12; edit++)
        {
            read.Add((await Store.ReadVersionAsync(SpaceA, "note:a", edit, "laptop").DefaultTimeout())!.Value);
        }

        // Assert: each version exact; eleven are splices of the next, tens of bytes each, kept in the
        // note's records (13 records and 11 splices in under 1.5 KB, where each text is 1.6 KB); the last
        // one, replaced by the delete, is whole, and too long for a record, so in hv.
        Assert.Equal(texts, read);
        Assert.Equal(0, await Database.HashLengthAsync(keys[11]));
        var records = (byte[])(await Database.HashGetAsync(keys[7], "note:a"))!;
        Assert.True(records.Length < 1500, $"the records take {records.Length} bytes");
        Assert.True(texts[0]!.Length > 1600, $"a text is {texts[0]!.Length} characters");
        Assert.Equal([texts[^1]], (await Database.HashGetAllAsync(keys[8])).Select(t => (string?)t.Value));
    }

    [Fact]
    public async Task RecordsAndTextsInTheLayoutEarlierStoresWroteAreStillReadAndKeptAtTheNextWrite()
    {
        // Arrange: three versions of a note, then its history rewritten as stores before records held
        // texts wrote it: records with whole numbers and no text (layout 1), the first version's text
        // whole in hv, the second's in hd as a splice of the third, the third the entry's.
        var keys = RedisKeys.For(SpaceA);
        string[] texts = ["one\n", "one\ntwo\n", "one\ntwo\nthree\n", "one\ntwo\nthree\nfour\n"];
        for (var i = 0; i < 3; i++)
        {
            await ApplyAsync(SpaceA, ("note:a", new Write(i + 1, "dev-a", texts[i])));
        }

        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Database.HashSetAsync(keys[7], "note:a", $"1,{at},1,4,t5:dev-a~2,{at + 1},2,8,t5:dev-a~3,{at + 2},3,14,t5:dev-a~");
        await Database.KeyDeleteAsync([keys[8], keys[11]]);
        await Database.HashSetAsync(keys[8], "1", texts[0]);
        await Database.HashSetAsync(keys[11], "2", "3,8,0,");

        // Act
        var before = await ReadTextsAsync(3);
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(4, "dev-a", texts[3]), [new VersionId(3, "dev-a")])]).DefaultTimeout();
        var after = await ReadTextsAsync(4);
        var history = await Store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();

        // Assert: read as written; after the write the records are today's layout, the third version's
        // text is in its record, and the older two stay where they were.
        Assert.Equal(texts[..3], before);
        Assert.Equal(texts, after);
        Assert.Equal([4L, 3L, 2L, 1L], history.Select(v => v.Timestamp));
        Assert.Equal([at + 1, at], history.Skip(2).Select(v => v.CommittedAt));
        Assert.StartsWith("2|", (string)(await Database.HashGetAsync(keys[7], "note:a"))!, StringComparison.Ordinal);
        Assert.Equal(texts[0], (string?)await Database.HashGetAsync(keys[8], "1"));
        Assert.Equal("3,8,0,", (string?)await Database.HashGetAsync(keys[11], "2"));
    }

    private async Task<string?[]> ReadTextsAsync(int versions)
    {
        var texts = new string?[versions];
        for (var i = 0; i < versions; i++)
        {
            texts[i] = (await Store.ReadVersionAsync(SpaceA, "note:a", i + 1, "dev-a").DefaultTimeout() ?? throw new InvalidOperationException($"version {i + 1} of {versions}")).Value;
        }

        return texts;
    }

    [Fact]
    public async Task AVersionOfANoteOver256KiBIsKeptWhole()
    {
        // Arrange: a note of 300 KB, edited at its end.
        var keys = RedisKeys.For(SpaceA);
        var big = new string('x', 300_000);
        await ApplyAsync(SpaceA, ("note:big", new Write(1, "laptop", big)));

        // Act
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:big", new Write(2, "laptop", big + "!"), [new VersionId(1, "laptop")])]).DefaultTimeout();

        // Assert: no splice; the old text whole in hv, and it reads back.
        Assert.Equal(0, await Database.HashLengthAsync(keys[11]));
        Assert.Equal(1, await Database.HashLengthAsync(keys[8]));
        Assert.Equal(big, (await Store.ReadVersionAsync(SpaceA, "note:big", 1, "laptop").DefaultTimeout())!.Value);
    }

    [Fact]
    public async Task NotesWrittenBeforeHistoryExistedGainItFromTheirNextWrite()
    {
        // Arrange: a note and a deleted note whose space has no history keys, as before this version.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "old text")), ("note:gone", new Write(2, "dev-a", null)));
        await Database.KeyDeleteAsync(RedisKeys.For(SpaceA)[6..]);

        // Act
        var before = await Store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout();
        var trashBefore = await Store.ReadTrashAsync(SpaceA, 100).DefaultTimeout();
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-b", "new text")));
        await ApplyAsync(SpaceA, ("note:a", new Write(4, "dev-b", null)));

        // Assert: the old head was never recorded and is not made up; from the next write on it works.
        Assert.Empty(before);
        Assert.Empty(trashBefore);
        Assert.Equal([4L, 3L], (await Store.ReadHistoryAsync(SpaceA, "note:a", 100).DefaultTimeout()).Select(v => v.Timestamp));
        Assert.Null(await Store.ReadVersionAsync(SpaceA, "note:a", 1, "dev-a").DefaultTimeout());
        var trashed = Assert.Single(await Store.ReadTrashAsync(SpaceA, 100).DefaultTimeout());
        Assert.Equal(("note:a", new Write(3, "dev-b", "new text")), (trashed.Key, trashed.LastText));
        Assert.Null((await ReadAllAsync(SpaceA))["note:gone"].State.Winner.Value);
    }
}
