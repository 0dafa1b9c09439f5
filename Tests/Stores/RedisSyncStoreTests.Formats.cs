using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// The entry formats (<see cref="RedisScripts"/>): version 1, which databases written before heads
/// of several timestamps hold, is still read and still written for the states it can express;
/// version 2 holds the rest. And the script's merge, outcomes included, against the one in Shared.
/// </summary>
public sealed partial class RedisSyncStoreTests
{
    // Two tied writes in format 1 at timestamp 5, seq 7, best first: dev-b beats dev-a.
    private const string Format1Entry = "1,7,5,5:dev-b~5:dev-a1:x";

    private static readonly EntryState Format1State = EntryState.OfWrites([new Write(5, "dev-a", "x"), new Write(5, "dev-b", null)]);

    [Fact]
    public async Task AnEntryOfFormat1IsReadWithEverythingBelowItsTimestampReplaced()
    {
        // Arrange: an entry as a server from before format 2 wrote it.
        await SeedAsync(SpaceA, "note:old", Format1Entry, 7);

        // Act: read it; then an offline edit with a lower timestamp, made from nothing.
        var read = (await ReadAllAsync(SpaceA))["note:old"];
        var late = await ApplyBasedAsync(SpaceA, "note:old", new Write(3, "dev-c", "late"), []);

        // Assert: both heads, everything below 5 replaced and nothing named, so the script, reading the
        // same, took nothing of the edit and left the bytes as they were.
        Assert.Equal(7, read.Seq);
        Assert.Equal(Format1State.Writes.ToArray(), read.State.Writes.ToArray());
        Assert.Equal(ReplacedVersions.Of(5, []), read.State.Replaced);
        Assert.Empty(late.Changed);
        Assert.Equal(Format1State.Writes.ToArray(), Assert.Single(late.Superseded).State.Writes.ToArray());
        Assert.Equal(Format1Entry, await RawEntryAsync(SpaceA, "note:old"));
    }

    [Fact]
    public async Task AFormat1EntryIsWrittenInFormat2WhenABaseLeavesItAStateFormat1CannotHold()
    {
        // Arrange
        await SeedAsync(SpaceA, "note:old", Format1Entry, 7);
        var edit = new KeyedWrite("note:old", new Write(9, "dev-c", "y"), [new VersionId(5, "dev-a")]);

        // Act: an edit of dev-a's version that did not see dev-b's.
        var result = await Store.ApplyAsync(SpaceA, [edit]).DefaultTimeout();
        await RestartAsync();

        // Assert: the bytes are format 2 (floor 5; 9 bytes naming dev-a at 5; the heads with their own
        // timestamps, best first), and the state is the one the Shared merge computes.
        var expected = edit.MergeInto(Format1State, out _);
        Assert.Equal("2,9,5,9,5,5:dev-a9,5:dev-c1:y5,5:dev-b~", await RawEntryAsync(SpaceA, "note:old"));
        Assert.Equal(9, Assert.Single(result.Changed).Seq);
        var entry = (await ReadAllAsync(SpaceA))["note:old"];
        Assert.Equal(expected.Writes.ToArray(), entry.State.Writes.ToArray());
        Assert.Equal(expected.Replaced, entry.State.Replaced);
    }

    [Fact]
    public async Task StatesOfWritesWithoutBaseStayInFormat1SoServersThatReadOnlyItCanReadThem()
    {
        // Act: a replace, a tie, and a later replace of another key.
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", "v")), ("note:a", new Write(3, "dev-b", null)), ("note:b", new Write(4, "dev-a", "w")));
        await ApplyAsync(SpaceA, ("note:b", new Write(6, "dev-b", "w2")));

        // Assert
        Assert.Equal("1,4,3,5:dev-b~5:dev-a1:v", await RawEntryAsync(SpaceA, "note:a"));
        Assert.Equal("1,6,6,5:dev-b2:w2", await RawEntryAsync(SpaceA, "note:b"));
    }

    [Fact]
    public async Task APageIsBoundedByTheHeadsItCarriesNotByTheVersionsItsEntriesName()
    {
        // Arrange: an entry whose named versions take far more bytes than its one head, then a small one.
        VersionId[] named = [.. Enumerable.Range(1, 40).Select(i => new VersionId(i, $"device-{new string('n', 100)}-{i}"))];
        await Store.ApplyAsync(SpaceA, [new KeyedWrite("note:named", new Write(100, "dev-a", "v"), named)]).DefaultTimeout();
        await ApplyAsync(SpaceA, ("note:small", new Write(101, "dev-a", "w")));
        var all = await ReadAllAsync(SpaceA);
        var exact = all.Values.Sum(e => e.EstimatedWireBytes);
        Assert.True((await RawEntryAsync(SpaceA, "note:named")).Length > exact, "the named versions should outweigh the page");

        // Act: a page bounded by exactly the two entries' sizes.
        var page = await Store.ReadSinceAsync(SpaceA, 0, 10, exact).DefaultTimeout();

        // Assert: both fit, as the exact count says.
        Assert.Equal(["note:named", "note:small"], page.Entries.Select(e => e.Key));
        Assert.False(page.More);
        Assert.Equal(40, all["note:named"].State.Replaced.Named.Length);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public async Task EveryPushChangesAndSupersedesWhatTheSharedMergeSays(int seed)
    {
        // Arrange: tight note bounds, so joins are refused now and then; devices whose ids order
        // differently in UTF-8 and UTF-16, so heads and named versions must be ordered as .NET orders them.
        var limits = new NoteLimits(3, 20);
        await using var store = new RedisSyncStore(fixture.Connection, NullLogger.Instance, noteLimits: limits);
        var random = new Random(seed);
        string[] devices = ["dev-a", "\uE000", "😀", "dev-é"];
        string[] keys = ["note:a", "note:b"];
        string?[] values = [null, "", "x", "yy", "\uE000", "😀"];
        var model = new Dictionary<string, EntryState>(StringComparer.Ordinal);
        var clocks = devices.ToDictionary(d => d, _ => 0L, StringComparer.Ordinal);
        var sent = new List<KeyedWrite>();
        var cursor = 0L;

        // From what the device may have read, anything from nothing to the whole state; or no base.
        VersionId[]? BaseFrom(string key, long timestamp) => random.Next(4) == 0
            ? null
            : [.. (model.GetValueOrDefault(key)?.Writes.ToArray() ?? []).Where(_ => random.Next(3) > 0).Select(w => VersionId.Of(w)).Where(id => id.Timestamp < timestamp)];

        for (var push = 0; push < 200; push++)
        {
            var device = devices[random.Next(devices.Length)];
            var writes = new List<KeyedWrite>();
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                if (sent.Count > 0 && random.Next(5) == 0)
                {
                    // A re-send, as after a lost answer; now and then with another base (or none), as
                    // a confused or hostile client might send it, which must merge as any other write.
                    var again = sent[random.Next(2) == 0 ? random.Next(sent.Count) : sent.Count - 1 - random.Next(Math.Min(sent.Count, 4))];
                    writes.Add(random.Next(2) == 0 ? again with { Base = BaseFrom(again.Key, again.Write.Timestamp) } : again);
                    continue;
                }

                var key = keys[random.Next(keys.Length)];
                var timestamp = clocks[device] += 1 + random.Next(2);
                writes.Add(new KeyedWrite(key, new Write(timestamp, device, values[random.Next(values.Length)]), BaseFrom(key, timestamp)));
            }

            var expected = ExpectedPush(model, writes, cursor, limits);

            // Act
            if (expected is null)
            {
                await Assert.ThrowsAsync<NoteLimitException>(() => store.ApplyAsync(SpaceA, writes).DefaultTimeout());
                continue;
            }

            var result = await store.ApplyAsync(SpaceA, writes).DefaultTimeout();

            // Assert
            var (changed, superseded, next) = expected.Value;
            Assert.Equal(changed.Select(c => (c.Key, c.Seq)), result.Changed.Select(c => (c.Key, c.Seq)));
            AssertStates(changed.Select(c => (c.Key, c.State)), result.Changed.Select(c => (c.Key, c.State)));
            AssertStates(superseded.Select(s => (s.Key, s.State)), result.Superseded.Select(s => (s.Key, s.State)));
            foreach (var entry in changed)
            {
                model[entry.Key] = entry.State;
            }

            cursor = next;
            sent.AddRange(writes);
            foreach (var (key, state) in model)
            {
                clocks[device] = Math.Max(clocks[device], state.Timestamp);
            }
        }

        var stored = await ReadAllAsync(SpaceA);
        AssertStates(model.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value)), stored.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.State)));
    }

    /// <summary>
    /// What a push does by the Shared merge, as the SQLite store applies it: the changed entries in seq
    /// order, the superseded keys, and the cursor after it; null when a join is over the note bounds.
    /// </summary>
    private static (List<StoredEntry> Changed, List<KeyState> Superseded, long Cursor)? ExpectedPush(
        Dictionary<string, EntryState> model, List<KeyedWrite> writes, long cursor, NoteLimits limits)
    {
        var states = new Dictionary<string, EntryState>(model, StringComparer.Ordinal);
        var changed = new Dictionary<string, StoredEntry>(StringComparer.Ordinal);
        var superseded = new Dictionary<string, KeyState>(StringComparer.Ordinal);
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            var next = write.MergeInto(states.GetValueOrDefault(write.Key), out var outcome);
            if (outcome == MergeOutcome.Joined && limits.Check(i, next) is not null)
            {
                return null;
            }

            if (!outcome.Changed())
            {
                if (!next.IsExactly(write.Write))
                {
                    superseded[write.Key] = new KeyState(write.Key, next);
                }

                continue;
            }

            cursor = Math.Max(cursor + 1, write.Write.Timestamp);
            states[write.Key] = next;
            changed[write.Key] = new StoredEntry(write.Key, cursor, next);
        }

        return ([.. changed.Values.OrderBy(c => c.Seq)], [.. superseded.Values.Where(s => !changed.ContainsKey(s.Key))], cursor);
    }

    private static void AssertStates(IEnumerable<(string Key, EntryState State)> expected, IEnumerable<(string Key, EntryState State)> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        Assert.Equal(e.Select(x => x.Key), a.Select(x => x.Key));
        for (var i = 0; i < e.Count; i++)
        {
            Assert.True(
                e[i].State.Writes.SequenceEqual(a[i].State.Writes) && e[i].State.Replaced.Equals(a[i].State.Replaced),
                $"{e[i].Key}: expected {StateAssert.Describe(e[i].State)} {DescribeReplaced(e[i].State.Replaced)}, got {StateAssert.Describe(a[i].State)} {DescribeReplaced(a[i].State.Replaced)}");
        }
    }

    private static string DescribeReplaced(ReplacedVersions replaced) =>
        $"floor {replaced.Floor}, named [{string.Join(", ", replaced.Named.ToArray().Select(n => $"{n.DeviceId}@{n.Timestamp}"))}]";

    private async Task SeedAsync(string space, string key, string entry, long seq)
    {
        var keys = RedisKeys.For(space);
        await Database.HashSetAsync(keys[1], key, entry);
        await Database.SortedSetAddAsync(keys[2], key, seq);
        await Database.StringSetAsync(keys[0], seq);
    }

    private async Task<string> RawEntryAsync(string space, string key) =>
        (string)(await Database.HashGetAsync(RedisKeys.For(space)[1], key))!;
}
