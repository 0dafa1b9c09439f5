using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// Note history (<see cref="ISyncStore.ReadHistoryAsync"/>, <see cref="ISyncStore.ReadVersionAsync"/>,
/// <see cref="ISyncStore.ReadTrashAsync"/>) and its retention (<see cref="HistoryLimits"/>), the same on every store.
/// </summary>
public abstract partial class SyncStoreContractTests
{
    private const int AllVersions = 1000;

    [Fact]
    public async Task EveryWriteTakenAsAHeadIsAVersionNewestFirstWithItsBaseAndCommitTime()
    {
        // Arrange
        var first = new Write(1, "laptop", "first");
        var edit = new Write(2, "phone", "second, é");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Act: a write without base, then an edit naming it.
        await ApplyAsync(SpaceA, ("note:a", first));
        await ApplyBasedAsync(SpaceA, "note:a", edit, [VersionId.Of(first)]);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var history = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();

        // Assert: the edit first; sizes in UTF-8 bytes; only the edit is a head; commit times in the test's window.
        Assert.Equal([VersionId.Of(edit), VersionId.Of(first)], history.Select(v => v.Id));
        Assert.Equal([VersionId.Of(first)], history[0].Base!);
        Assert.Null(history[1].Base);
        Assert.Equal([10L, 5L], history.Select(v => v.Bytes));
        Assert.Equal([true, false], history.Select(v => v.IsHead));
        Assert.All(history, v => Assert.False(v.IsDelete));
        Assert.All(history, v => Assert.InRange(v.CommittedAt, before, after));
        Assert.True(history[0].CommittedAt >= history[1].CommittedAt);
    }

    [Fact]
    public async Task AReSentDuplicateOrIgnoredWriteAddsNoVersionAndTiedWritesAreAllHeads()
    {
        // Arrange
        var write = new Write(5, "dev-a", "v");
        var tied = new Write(5, "dev-b", "w");
        await ApplyAsync(SpaceA, ("note:a", write));

        // Act: the same write again, an older one (ignored), and one tied with it (joined).
        await ApplyAsync(SpaceA, ("note:a", write));
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-c", "old")));
        await ApplyAsync(SpaceA, ("note:a", tied));
        await ApplyAsync(SpaceA, ("note:a", tied));
        var history = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();

        // Assert
        Assert.Equal([VersionId.Of(tied), VersionId.Of(write)], history.Select(v => v.Id));
        Assert.All(history, v => Assert.True(v.IsHead));
        Assert.Null(await Store.ReadVersionAsync(SpaceA, "note:a", 3, "dev-c").DefaultTimeout());
    }

    [Fact]
    public async Task AVersionFetchedByItsIdHasItsTextWhetherOrNotItIsStillAHead()
    {
        // Arrange: two texts, then a delete.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "one")));
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-b", "two")));
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", null)));

        // Act
        var one = await Store.ReadVersionAsync(SpaceA, "note:a", 1, "dev-a").DefaultTimeout();
        var two = await Store.ReadVersionAsync(SpaceA, "note:a", 2, "dev-b").DefaultTimeout();
        var deleted = await Store.ReadVersionAsync(SpaceA, "note:a", 3, "dev-a").DefaultTimeout();
        var missing = await Store.ReadVersionAsync(SpaceA, "note:a", 2, "dev-a").DefaultTimeout();

        // Assert
        Assert.Equal(("one", false), (one!.Value, one.Version.IsHead));
        Assert.Equal(("two", 3L), (two!.Value, two.Version.Bytes));
        Assert.Equal((null, true, true), (deleted!.Value, deleted.Version.IsDelete, deleted.Version.IsHead));
        Assert.Null(missing);
        Assert.Null(await Store.ReadVersionAsync(SpaceA, "note:other", 1, "dev-a").DefaultTimeout());
    }

    [Fact]
    public async Task ADeletePutsTheNoteInTheTrashWithItsLastTextAndALaterWriteTakesItOut()
    {
        // Arrange: two notes deleted in turn (the first after two texts), one never deleted, one born deleted.
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "laptop", "a1")), ("note:b", new Write(2, "laptop", "b1")), ("note:kept", new Write(3, "laptop", "k")));
        await ApplyAsync(SpaceA, ("note:a", new Write(4, "phone", "a2")));
        await ApplyAsync(SpaceA, ("note:a", new Write(5, "phone", null)));
        await ApplyAsync(SpaceA, ("note:b", new Write(6, "laptop", null)));
        await ApplyAsync(SpaceA, ("note:ghost", new Write(7, "laptop", null)));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Act
        var trash = await Store.ReadTrashAsync(SpaceA, 100).DefaultTimeout();
        var firstOnly = await Store.ReadTrashAsync(SpaceA, 1).DefaultTimeout();
        var historyOfA = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();
        await ApplyAsync(SpaceA, ("note:b", new Write(8, "phone", "b restored")));
        var afterRestore = await Store.ReadTrashAsync(SpaceA, 100).DefaultTimeout();

        // Assert: newest deletion first; each with its deleter and last text; a delete keeps the note's
        // earlier versions; the restored note leaves the trash.
        Assert.Equal(["note:ghost", "note:b", "note:a"], trash.Select(t => t.Key));
        Assert.Equal(["note:ghost"], firstOnly.Select(t => t.Key));
        Assert.Null(trash[0].LastText);
        Assert.Equal(new Write(2, "laptop", "b1"), trash[1].LastText);
        Assert.Equal(new Write(4, "phone", "a2"), trash[2].LastText);
        Assert.Equal(("phone", 5L), (trash[2].DeletedBy, trash[2].DeleteTimestamp));
        Assert.All(trash, t => Assert.InRange(t.DeletedAt, before, after));
        Assert.Equal([5L, 4L, 1L], historyOfA.Select(v => v.Timestamp));
        Assert.Equal(["note:ghost", "note:a"], afterRestore.Select(t => t.Key));
    }

    [Fact]
    public async Task EveryKeptVersionOfANoteEditedManyTimesReadsBackExactly()
    {
        // Arrange: eight versions kept; a 30-line note with CRLF endings, no newline at the end and
        // multi-byte characters, edited 20 times from the version before (a line changed, one added, one
        // removed, a character changed to one sharing its first UTF-8 byte: é to è), then two concurrent
        // edits of the last version, then the winner deleted. Stores keep replaced versions as edits of a
        // later one, so every version must come back to the character.
        await RestartAsync(HistoryLimits.Default with { VersionsPerNote = 8 });
        var lines = Enumerable.Range(0, 30).Select(i => $"línea {i} — 😀 of a note").ToList();
        var written = new Dictionary<VersionId, string?>();
        VersionId[] previous = [];
        for (var edit = 1; edit <= 20; edit++)
        {
            switch (edit % 4)
            {
                case 0: lines[edit % lines.Count] = lines[edit % lines.Count].Replace('é', 'è').Replace('í', 'ì'); break;
                case 1: lines[edit % lines.Count] = $"edit {edit}"; break;
                case 2: lines.Insert(edit % lines.Count, $"added at edit {edit}"); break;
                default: lines.RemoveAt(edit % lines.Count); break;
            }

            var write = new Write(edit, "laptop", string.Join("\r\n", lines));
            await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", write, previous)]).DefaultTimeout();
            written[VersionId.Of(write)] = write.Value;
            previous = [VersionId.Of(write)];
        }

        var phone = new Write(21, "phone", written[previous[0]] + "\r\nfrom the phone");
        var tablet = new Write(22, "tablet", "from the tablet\r\n" + written[previous[0]]);
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", phone, previous)]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", tablet, previous)]).DefaultTimeout();
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:a", new Write(23, "laptop", null), [VersionId.Of(phone), VersionId.Of(tablet)])]).DefaultTimeout();
        written[VersionId.Of(phone)] = phone.Value;
        written[VersionId.Of(tablet)] = tablet.Value;
        written[new VersionId(23, "laptop")] = null;

        // Act
        var versions = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();
        var read = new List<(VersionId Id, string? Text)>();
        foreach (var version in versions)
        {
            read.Add((version.Id, (await Store.ReadVersionAsync(SpaceA, "note:a", version.Timestamp, version.DeviceId).DefaultTimeout())!.Value));
        }

        var trashed = Assert.Single(await Store.ReadTrashAsync(SpaceA, 10).DefaultTimeout());

        // Assert: the eight newest, each exact; the trash's last text is the newest text (the tablet's).
        Assert.Equal([23L, 22L, 21L, 20L, 19L, 18L, 17L, 16L], versions.Select(v => v.Timestamp));
        Assert.All(read, r => Assert.Equal(written[r.Id], r.Text));
        Assert.Equal(tablet, trashed.LastText);
    }

    [Theory]
    [InlineData(20261203)]
    [InlineData(7)]
    [InlineData(99)]
    public async Task RandomEditsOfFewNotesReadBackEveryKeptVersionsText(int seed)
    {
        // Arrange: six versions kept; 150 writes to three notes by three devices, each from the note's
        // heads (a base), from an older version, from nothing, or without a base; some at the top
        // timestamp (siblings), some deletes, some sent twice. A text is a few lines edited from another.
        await RestartAsync(HistoryLimits.Default with { VersionsPerNote = 6 });
        var random = new Random(seed);
        string[] keys = ["note:a", "note:b", "note:c"];
        string[] devices = ["laptop", "phone", "tablet"];
        var texts = new Dictionary<(string Key, VersionId Id), string?>();
        var ambiguous = new HashSet<(string Key, VersionId Id)>();
        var clock = 0L;
        KeyedWrite? last = null;
        for (var i = 0; i < 150; i++)
        {
            if (last is { } again && random.Next(10) == 0)
            {
                await Store.ApplyAsync(SpaceA, [again]).DefaultTimeout();
                continue;
            }

            var key = keys[random.Next(keys.Length)];
            var page = await Store.ReadSinceAsync(SpaceA, 0, 100, long.MaxValue).DefaultTimeout();
            var state = page.Entries.FirstOrDefault(e => e.Key == key)?.State;
            var from = state?.Winner.Value ?? "";
            var lines = from.Split('\n').ToList();
            lines.Insert(random.Next(lines.Count + 1), $"line {i} é");
            if (lines.Count > 3 && random.Next(2) == 0)
            {
                lines.RemoveAt(random.Next(lines.Count));
            }

            var value = random.Next(8) == 0 ? null : string.Join('\n', lines);
            clock = random.Next(4) == 0 ? clock : clock + 1;
            var write = new Write(Math.Max(clock, 1), devices[random.Next(devices.Length)], value);
            VersionId[]? @base = random.Next(5) switch
            {
                0 => null,
                1 => [],
                2 when texts.Keys.Where(k => k.Key == key).ToArray() is { Length: > 0 } older => [older[random.Next(older.Length)].Id],
                _ => state is null ? [] : [.. state.Writes.ToArray().Select(w => VersionId.Of(w))],
            };
            // A base names only versions before the write (docs/protocol.md §2).
            @base = @base?.Where(v => v.Timestamp < write.Timestamp).ToArray();
            try
            {
                await Store.ApplyAsync(SpaceA, [new KeyedWrite(key, write, @base)]).DefaultTimeout();
            }
            catch (NoteLimitException)
            {
                // More heads than a note may hold: refused whole, nothing recorded.
                continue;
            }

            var id = (key, VersionId.Of(write));
            if (texts.TryGetValue(id, out var earlier) && earlier != value)
            {
                ambiguous.Add(id);
            }

            texts.TryAdd(id, value);
            last = new KeyedWrite(key, write, @base);
        }

        // Act + Assert: every kept version of every note has the text it was written with.
        foreach (var key in keys)
        {
            foreach (var version in await Store.ReadHistoryAsync(SpaceA, key, AllVersions).DefaultTimeout())
            {
                var id = (key, version.Id);
                var read = await Store.ReadVersionAsync(SpaceA, key, version.Timestamp, version.DeviceId).DefaultTimeout();
                if (!ambiguous.Contains(id))
                {
                    Assert.True(texts[id] == read?.Value, $"seed {seed}: {key} {version.Id}: wrote {texts[id]}, read {read?.Value}");
                }
            }
        }
    }

    [Fact]
    public async Task RetentionByCountKeepsTheNewestVersionsAndEveryHeadBeyondThem()
    {
        // Arrange
        await RestartAsync(HistoryLimits.Default with { VersionsPerNote = 2 });

        // Act: five versions in turn; then three devices tie above them, three heads.
        for (var t = 1; t <= 5; t++)
        {
            await ApplyAsync(SpaceA, ("note:a", new Write(t, "dev-a", $"v{t}")));
        }

        var afterFive = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();
        await ApplyAsync(SpaceA, ("note:a", new Write(9, "dev-a", "x")), ("note:a", new Write(9, "dev-b", "y")), ("note:a", new Write(9, "dev-c", "z")));
        var afterTie = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();

        // Assert
        Assert.Equal([5L, 4L], afterFive.Select(v => v.Timestamp));
        Assert.Null(await Store.ReadVersionAsync(SpaceA, "note:a", 3, "dev-a").DefaultTimeout());
        Assert.Equal(["dev-c", "dev-b", "dev-a"], afterTie.Select(v => v.DeviceId));
        Assert.All(afterTie, v => Assert.True(v.IsHead));
        Assert.Equal(2, (await Store.ReadHistoryAsync(SpaceA, "note:a", 2).DefaultTimeout()).Count);
    }

    [Fact]
    public async Task AnAgeOfZeroDaysKeepsOnlyTheHeads()
    {
        // Arrange
        await RestartAsync(HistoryLimits.Default with { MaxAgeDays = 0 });

        // Act: three versions of one note, the last two of them tied.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v1")));
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-a", "v2")), ("note:a", new Write(2, "dev-b", "v2b")));
        var history = await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout();

        // Assert
        Assert.Equal([VersionId.Of(new Write(2, "dev-b", "v2b")), new VersionId(2, "dev-a")], history.Select(v => v.Id));
        Assert.Null(await Store.ReadVersionAsync(SpaceA, "note:a", 1, "dev-a").DefaultTimeout());
    }

    [Fact]
    public async Task RetentionByBytesDropsTheSpacesOldestNonHeadVersionsFirstAcrossNotes()
    {
        // Arrange: every version costs 15 bytes (a 10-byte text and a 5-byte device id); room for four.
        await RestartAsync(HistoryLimits.Default with { MaxBytesPerSpace = 60 });

        // Act: a1, b1, a2, b2 fill it; a3 drops the oldest non-head (a1); b3 the next (b1, older than a2).
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a-1-------")));
        await ApplyAsync(SpaceA, ("note:b", new Write(2, "dev-a", "b-1-------")));
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", "a-2-------")));
        await ApplyAsync(SpaceA, ("note:b", new Write(4, "dev-a", "b-2-------")));
        var full = await TimestampsAsync(SpaceA, "note:a", "note:b");
        await ApplyAsync(SpaceA, ("note:a", new Write(5, "dev-a", "a-3-------")));
        var afterA3 = await TimestampsAsync(SpaceA, "note:a", "note:b");
        await ApplyAsync(SpaceA, ("note:b", new Write(6, "dev-a", "b-3-------")));
        var afterB3 = await TimestampsAsync(SpaceA, "note:a", "note:b");
        await ApplyAsync(SpaceB, ("note:a", new Write(7, "dev-a", "other-----")));

        // Assert: another space's history is not counted against this one's.
        Assert.Equal([3L, 1L, 4L, 2L], full);
        Assert.Equal([5L, 3L, 4L, 2L], afterA3);
        Assert.Equal([5L, 3L, 6L, 4L], afterB3);
        var afterOtherSpace = await TimestampsAsync(SpaceA, "note:a", "note:b");
        Assert.Equal([5L, 3L, 6L, 4L], afterOtherSpace);
    }

    [Fact]
    public async Task RetentionByBytesNeverDropsAHead()
    {
        await RestartAsync(HistoryLimits.Default with { MaxBytesPerSpace = 0 });

        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v1")), ("note:b", new Write(2, "dev-a", "w1")));
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", "v2")));

        var timestamps = await TimestampsAsync(SpaceA, "note:a", "note:b");

        Assert.Equal([3L, 2L], timestamps);
    }

    [Fact]
    public async Task RetentionByBytesKeepsTheHeadOfANoteThePushDidNotChange()
    {
        // Arrange: 15 bytes a version, room for two.
        await RestartAsync(HistoryLimits.Default with { MaxBytesPerSpace = 30 });
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a-1-------")));
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-a", "a-2-------")));

        // Act: b1 drops a1, which leaves note a its head alone; b2 must then drop b1, not a's head.
        await ApplyAsync(SpaceA, ("note:b", new Write(3, "dev-a", "b-1-------")));
        await ApplyAsync(SpaceA, ("note:b", new Write(4, "dev-a", "b-2-------")));
        await ApplyAsync(SpaceA, ("note:c", new Write(5, "dev-a", "c-1-------")));

        var kept = await TimestampsAsync(SpaceA, "note:a", "note:b", "note:c");

        // Assert
        Assert.Equal([2L, 4L, 5L], kept);
        Assert.Equal("a-2-------", (await Store.ReadVersionAsync(SpaceA, "note:a", 2, "dev-a").DefaultTimeout())!.Value);
    }

    [Fact]
    public async Task AnotherSpacesHistoryAndTrashAreInvisible()
    {
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "secret")));
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-a", null)));

        Assert.Empty(await Store.ReadHistoryAsync(SpaceB, "note:a", AllVersions).DefaultTimeout());
        Assert.Null(await Store.ReadVersionAsync(SpaceB, "note:a", 1, "dev-a").DefaultTimeout());
        Assert.Empty(await Store.ReadTrashAsync(SpaceB, 100).DefaultTimeout());
        Assert.Equal(2, (await Store.ReadHistoryAsync(SpaceA, "note:a", AllVersions).DefaultTimeout()).Count);
        Assert.Single(await Store.ReadTrashAsync(SpaceA, 100).DefaultTimeout());
    }

    /// <summary>The timestamps of each key's versions, newest first, key after key.</summary>
    private async Task<long[]> TimestampsAsync(string space, params string[] keys)
    {
        var timestamps = new List<long>();
        foreach (var key in keys)
        {
            timestamps.AddRange((await Store.ReadHistoryAsync(space, key, AllVersions).DefaultTimeout()).Select(v => v.Timestamp));
        }

        return [.. timestamps];
    }
}
