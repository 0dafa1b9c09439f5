using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;
using StackExchange.Redis;

namespace NoteSync.Tests.Stores;

/// <summary>
/// The contract suite against <see cref="RedisSyncStore"/> on a real redis-server (AOF on, one per
/// collection, each test in its own spaces), plus Redis specifics: scripts by SHA, the key layout,
/// the seq index, durability across a Redis crash, and UTF-16 ordering inside Lua.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed partial class RedisSyncStoreTests(RedisServerFixture fixture) : SyncStoreContractTests
{
    private RedisSyncStore Redis => (RedisSyncStore)Store;

    private IDatabase Database => fixture.Connection.GetDatabase();

    private IServer Server => fixture.Connection.GetServer(fixture.Connection.GetEndPoints()[0]);

    // The test's spaces are stamped with this primary's replication id, as spaces that have been
    // written under it are: the suite's seqs are then the plain ones, with no failover jump.
    private protected override async Task<ISyncStore> CreateStoreAsync(ClockLimits limits)
    {
        var replicationId = await ReplicationIdAsync();
        await Database.StringSetAsync(RedisKeys.For(SpaceA)[3], replicationId);
        await Database.StringSetAsync(RedisKeys.For(SpaceB)[3], replicationId);
        return Open(limits);
    }

    private protected override Task<ISyncStore> ReopenStoreAsync(SpaceQuotas quotas, HistoryLimits history) =>
        Task.FromResult<ISyncStore>(Open(quotas: quotas, history: history));

    [Fact]
    public async Task StoreKeepsWorkingAfterScriptFlushBySendingTheScriptOnce()
    {
        // Arrange
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")));
        await Server.ScriptFlushAsync();
        var reloadsBefore = Redis.ScriptReloads;

        // Act
        var result = await ApplyAsync(SpaceA, ("note:b", new Write(2, "dev-a", "v")));
        await ApplyAsync(SpaceA, ("note:c", new Write(3, "dev-a", "v")));

        // Assert: one NOSCRIPT answered by one EVAL; the next push found the script by SHA again.
        Assert.Equal(2, result.Cursor);
        Assert.Equal(reloadsBefore + 1, Redis.ScriptReloads);
        Assert.Equal(3, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
    }

    [Fact]
    public async Task PushesAreCalledBySha()
    {
        // Arrange: one push so the script is cached on the server whatever ran before.
        await ApplyAsync(SpaceA, ("note:warm", new Write(1, "dev-a", "v")));
        await Server.ExecuteAsync("CONFIG", "RESETSTAT");

        // Act
        for (var i = 0; i < 10; i++)
        {
            await ApplyAsync(SpaceA, ($"note:{i}", new Write(i + 2, "dev-a", "v")));
        }

        // Assert
        var stats = CommandStats(await Server.InfoRawAsync("commandstats"));
        Assert.Equal(10, stats.GetValueOrDefault("evalsha"));
        Assert.Equal(0, stats.GetValueOrDefault("eval"));
    }

    [Fact]
    public async Task EveryKeyOfASpaceCarriesTheSpaceAsHashTagAndSharesOneSlot()
    {
        // note:a's first version replaced by a text it shares nothing with, and too long to keep in its
        // record, so history's every key but hd (splices too long for a record) is written too.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", new string('v', 2000))), ("note:b", new Write(2, "dev-b", null)));
        await ApplyAsync(SpaceA, ("note:a", new Write(3, "dev-a", new string('w', 2000))));

        var keys = new List<string>();
        await foreach (var key in Server.KeysAsync(pattern: $"*{SpaceA}*"))
        {
            keys.Add(key!);
        }

        string[] expected = ["clock", "e", "epoch", "hist", "hk", "hold", "hv", "log", "primary", "trash", "usage"];
        Assert.Equal(expected.Select(name => $"ns:{{{SpaceA}}}:{name}"), keys.Order(StringComparer.Ordinal));
        Assert.Single(keys.Select(k => fixture.Connection.HashSlot(k)).Distinct());
    }

    [Theory]
    [InlineData("}starts-with-brace")]
    [InlineData("has}brace{and%percent")]
    public async Task SpaceWithBracesStillMapsToOneSlotAndStaysApart(string suffix)
    {
        // Arrange: two spaces that a naive escaping would merge.
        var space = SpaceA + suffix;
        var lookalike = SpaceA + suffix.Replace("}", "%7D", StringComparison.Ordinal);

        // Act: new spaces, so each first seq is past the failover margin.
        await ApplyAsync(space, ("note:a", new Write(5, "dev-a", "v")));
        await ApplyAsync(lookalike, ("note:a", new Write(9, "dev-a", "w")));
        var margin = ClockLimits.Default.FailoverMargin;

        // Assert
        var keys = RedisKeys.For(space);
        Assert.Single(keys.Select(k => fixture.Connection.HashSlot(k)).Distinct());
        Assert.All(keys, k => Assert.StartsWith($"ns:{{{SpaceA}", k.ToString(), StringComparison.Ordinal));
        Assert.Equal(margin + 1, await Store.GetCursorAsync(space).DefaultTimeout());
        Assert.Equal(margin + 1, await Store.GetCursorAsync(lookalike).DefaultTimeout());
    }

    [Fact]
    public async Task SeqIndexHoldsEachKeyOnceWithItsLatestSeqAfterManyUpdates()
    {
        // Arrange: 5 keys, each written 20 times.
        for (var round = 1; round <= 20; round++)
        {
            await ApplyAsync(SpaceA, [.. Enumerable.Range(0, 5).Select(k => ($"note:{k}", new Write(round, $"dev-{round % 3}", $"v{round}")))]);
        }

        // Act
        var keys = RedisKeys.For(SpaceA);
        var index = await Database.SortedSetRangeByScoreWithScoresAsync(keys[2]);
        var page = await Store.ReadSinceAsync(SpaceA, 0, int.MaxValue, long.MaxValue).DefaultTimeout();

        // Assert
        Assert.Equal(5, await Database.SortedSetLengthAsync(keys[2]));
        Assert.Equal(5, await Database.HashLengthAsync(keys[1]));
        Assert.Equal(page.Entries.Select(e => (e.Key, (double)e.Seq)), index.Select(i => ((string)i.Element!, i.Score)));
        Assert.Equal(100, page.Cursor);
    }

    [Fact]
    public async Task PagesSpanningManyScriptChunksHoldEveryKeyOnceAndCutExactlyByBytes()
    {
        // Arrange: 700 keys (the script reads the index 256 at a time), sizes varying, some escaped.
        var expected = new List<string>();
        for (var push = 0; push < 7; push++)
        {
            var writes = Enumerable.Range(push * 100, 100).Select(i => ($"note:{i:D4}", new Write(1, "dev-a", new string(i % 3 == 0 ? '"' : 'v', i % 50)))).ToArray();
            expected.AddRange(writes.Select(w => w.Item1));
            await ApplyAsync(SpaceA, writes);
        }

        // Act: pages bounded by bytes well under what a chunk holds, and by count above a chunk.
        var seen = new List<string>();
        var cursor = 0L;
        ChangePage page;
        do
        {
            page = await Store.ReadSinceAsync(SpaceA, cursor, 300, 20_000).DefaultTimeout();

            // Assert: each page is as full as the byte bound allows, and no fuller.
            var bytes = page.Entries.Sum(e => e.EstimatedWireBytes);
            Assert.True(page.Entries.Count == 1 || bytes <= 20_000, $"page of {bytes} bytes");
            seen.AddRange(page.Entries.Select(e => e.Key));
            cursor = page.Cursor;
            if (page.More && page.Entries.Count < 300)
            {
                var next = await Store.ReadSinceAsync(SpaceA, cursor, 1, long.MaxValue).DefaultTimeout();
                Assert.True(bytes + next.Entries[0].EstimatedWireBytes > 20_000);
            }
        }
        while (page.More);

        Assert.Equal(expected, seen);
        Assert.Equal(700, cursor);
        var all = await Store.ReadSinceAsync(SpaceA, 0, int.MaxValue, long.MaxValue).DefaultTimeout();
        Assert.Equal(700, all.Entries.Count);
        Assert.False(all.More);
    }

    [Fact]
    public async Task TwoStoresOnOneRedisShareOneChainOfCursors()
    {
        // Arrange: a second store on its own connection, as a second node would have.
        await using var otherConnection = await fixture.Server.ConnectAsync();
        await using var otherNode = new RedisSyncStore(otherConnection, NullLogger.Instance);
        ISyncStore[] nodes = [Store, otherNode];

        // Act: both push to the same keys at once.
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            nodes[i % 2].ApplyAsync(SpaceA, [new KeyedWrite($"note:{i % 7}", new Write(1 + (i % 13), $"dev-{i % 2}", $"v{i}"))]))).DefaultTimeout();

        // Assert: every change got its own seq, and the changing pushes form one unbroken chain.
        var changing = results.Where(r => r.Changed.Count > 0).OrderBy(r => r.Cursor).ToList();
        var previous = 0L;
        foreach (var result in changing)
        {
            Assert.Equal(previous, result.PreviousCursor);
            previous = result.Cursor;
        }

        Assert.Equal(previous, await otherNode.GetCursorAsync(SpaceA).DefaultTimeout());
        var fromOther = await otherNode.ReadSinceAsync(SpaceA, 0, int.MaxValue, long.MaxValue).DefaultTimeout();
        Assert.Equal(
            (await ReadAllAsync(SpaceA)).Values.OrderBy(e => e.Seq).Select(e => (e.Key, e.Seq)),
            fromOther.Entries.Select(e => (e.Key, e.Seq)));
    }

    [Fact]
    public async Task WithMinReplicasAndNoReplicaAPushThrowsReplicationUnconfirmedAndIsNotHidden()
    {
        // Arrange: this Redis has no replica at all.
        await using var connection = await fixture.Server.ConnectAsync();
        await using var store = new RedisSyncStore(connection, NullLogger.Instance, minReplicas: 1, replicaWaitTimeoutMs: 50);

        // Act
        var refused = await Assert.ThrowsAsync<ReplicationUnconfirmedException>(
            () => store.ApplyAsync(SpaceA, [new KeyedWrite("note:solo", new Write(1, "dev-a", "v"))]).DefaultTimeout());
        var pulled = await store.ReadSinceAsync(SpaceA, 0, 10, long.MaxValue).DefaultTimeout();

        // Assert: not acknowledged, but on the primary (WAIT rolls nothing back; the device re-sends it).
        Assert.Contains("0 of 1 replicas", refused.Message, StringComparison.Ordinal);
        Assert.Equal("note:solo", Assert.Single(pulled.Entries).Key);
    }

    [Fact]
    public async Task StateAndClockSurviveARedisCrashWithAof()
    {
        // Arrange
        var fromA = new Write(5, "dev-a", "x");
        var fromB = new Write(5, "dev-b", null);
        await ApplyAsync(SpaceA, ("note:a", fromA), ("note:a", fromB), ("note:b", new Write(40, "dev-a", "")));
        var before = await Store.ReadSinceAsync(SpaceA, 0, int.MaxValue, long.MaxValue).DefaultTimeout();

        // Act: kill -9 and start again on the same directory; the connection reconnects by itself.
        await fixture.Server.RestartAsync();
        await WaitForConnectionAsync();

        // Assert: entries, write sets and the clock are back, and the clock goes on from there: past the
        // failover margin, since a restarted Redis has a new replication id and, with a weaker fsync
        // setting than this test's, could have lost writes and their seqs.
        var after = await Store.ReadSinceAsync(SpaceA, 0, int.MaxValue, long.MaxValue).DefaultTimeout();
        Assert.Equal(40, after.Cursor);
        Assert.Equal(before.Entries.Select(e => (e.Key, e.Seq)), after.Entries.Select(e => (e.Key, e.Seq)));
        StateAssert.Equal(StateAssert.Of(fromA, fromB), after.Entries.Single(e => e.Key == "note:a").State);
        StateAssert.Equal(EntryState.Of(new Write(40, "dev-a", "")), after.Entries.Single(e => e.Key == "note:b").State);
        var next = await ApplyAsync(SpaceA, ("note:c", new Write(1, "dev-c", "v")));
        Assert.Equal(40 + ClockLimits.Default.FailoverMargin + 1, next.Cursor);
    }

    [Fact]
    public async Task WinnerFollowsUtf16OrderWhereUtf8ByteOrderDiffers()
    {
        // Arrange: U+E000 is one UTF-16 unit 0xE000; U+1F600 is the pair 0xD83D 0xDE00, so in .NET
        // ordinal order U+E000 is the greater, while its UTF-8 bytes (EE ..) sort below (F0 ..).
        var privateUse = new Write(7, "\uE000", "private use");
        var emoji = new Write(7, "😀", "emoji");
        Assert.True(string.CompareOrdinal(privateUse.DeviceId, emoji.DeviceId) > 0);

        // Act: both orders of arrival, and the same pair as values under one device.
        await ApplyAsync(SpaceA, ("note:a", emoji), ("note:a", privateUse));
        await ApplyAsync(SpaceB, ("note:a", privateUse), ("note:a", emoji));
        await ApplyAsync(SpaceA, ("note:v", new Write(3, "d", "😀")), ("note:v", new Write(3, "d", "\uE000")));

        // Assert: the script stored W best first in .NET order, whichever came first.
        Assert.Equal(["\uE000", "😀"], await StoredDeviceIdsAsync(SpaceA, "note:a"));
        Assert.Equal(["\uE000", "😀"], await StoredDeviceIdsAsync(SpaceB, "note:a"));
        Assert.Equal(privateUse, (await ReadAllAsync(SpaceA))["note:a"].State.Winner);
        Assert.Equal("\uE000", (await ReadAllAsync(SpaceA))["note:v"].State.Winner.Value);
    }

    [Fact]
    public async Task ScriptOrdersWriteSetsExactlyAsDotNetOrdinal()
    {
        // Arrange: device ids and values drawn from characters on both sides of every UTF-8 length
        // and surrogate boundary, with long shared prefixes so the block skip in the script runs too.
        char[][] alphabet = [['a'], ['z'], ['\u007F'], ['\u0080'], ['é'], ['\u07FF'], ['\u0800'], ['\uD7FF'], ['\uE000'], ['\uFFFD'], ['\uFFFF'], ['\uD83D', '\uDE00'], ['\uDBFF', '\uDFFF'], ['\uD800', '\uDC00']];
        var random = new Random(2024);
        string Draw() => new string('p', random.Next(0, 3) * 40) + string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => new string(alphabet[random.Next(alphabet.Length)])));

        for (var key = 0; key < 40; key++)
        {
            var writes = Enumerable.Range(0, random.Next(2, 7)).Select(_ => new Write(9, Draw(), random.Next(5) == 0 ? null : Draw())).ToArray();

            // Act
            await ApplyAsync(SpaceA, [.. writes.Select(w => ($"note:{key}", w))]);

            // Assert
            var expected = StateAssert.Of(writes).Writes.ToArray();
            var raw = await Database.HashGetAsync(RedisKeys.For(SpaceA)[1], $"note:{key}");
            RedisEntryCodec.ReadStored($"note:{key}", (byte[])raw!, out var stored);
            Assert.Equal(expected, stored);
        }
    }

    private RedisSyncStore Open(ClockLimits? limits = null, SpaceQuotas? quotas = null, HistoryLimits? history = null) =>
        new(fixture.Connection, NullLogger.Instance, clockLimits: limits, quotas: quotas, history: history);

    private async Task<string> ReplicationIdAsync()
    {
        var info = await Server.InfoRawAsync("replication");
        return info!.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("master_replid:", StringComparison.Ordinal))["master_replid:".Length..];
    }

    private async Task<string[]> StoredDeviceIdsAsync(string space, string key)
    {
        var raw = await Database.HashGetAsync(RedisKeys.For(space)[1], key);
        RedisEntryCodec.ReadStored(key, (byte[])raw!, out var writes);
        return [.. writes.Select(w => w.DeviceId)];
    }

    private async Task WaitForConnectionAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                await Database.PingAsync();
                return;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static Dictionary<string, long> CommandStats(string? info)
    {
        // Lines like: cmdstat_evalsha:calls=10,usec=...,...
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in (info ?? "").Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                var name = line["cmdstat_".Length..line.IndexOf(':', StringComparison.Ordinal)];
                var calls = line.Split(',')[0].Split('=')[1];
                stats[name] = long.Parse(calls, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return stats;
    }
}
