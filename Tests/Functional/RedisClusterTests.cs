using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;
using StackExchange.Redis;

namespace NoteSync.Tests.Functional;

/// <summary>
/// NoteSync on a real Redis Cluster (three primaries, each with a replica; <see cref="RedisCluster"/>): every
/// key of a space is in one slot (the <c>{space}</c> tag), so the store's scripts run on that slot's primary;
/// the spaces spread over the shards; and two nodes given the cluster's nodes form one service, devices of
/// many spaces on either node seeing each other's edits live (the doorbell and the SignalR backplane
/// over the cluster's pub/sub).
/// </summary>
public sealed class RedisClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    private const int SpaceCount = 12;

    // Well below the head check's interval, so live delivery comes from pub/sub.
    private static readonly TimeSpan LiveTimeout = TimeSpan.FromSeconds(5);

    private RedisCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task DevicesOfTwelveSpacesOnTwoNodesSyncLiveAndEachSpaceLivesOnOneShard()
    {
        // Arrange: per space a raw WebSocket device on node 1 and a hub device on node 2.
        var settings = NodeSettings(("NoteSync__Sync__HeadCheckIntervalMs", "60000"));
        await using var node1 = await InProcessServer.StartAsync(settings);
        await using var node2 = await InProcessServer.StartAsync(settings);
        var spaces = Enumerable.Range(0, SpaceCount).Select(i => $"cluster-{i}").ToArray();
        var devices = new List<(string Space, WsDevice Ws, HubDevice Hub)>();
        try
        {
            foreach (var (space, i) in spaces.Select((s, i) => (s, i)))
            {
                var ws = await WsDevice.ConnectAsync(node1, $"ws-{i}", token: TestTokens.Mint(space));
                var hub = await HubDevice.ConnectAsync(node2, $"hub-{i}", messagePack: i % 2 == 0, token: TestTokens.Mint(space));
                devices.Add((space, ws, hub));
                await ws.PullAsync();
                await hub.PullAsync();
            }

            // Act: each space's hub device writes on node 2, its WebSocket device on node 1.
            foreach (var (space, ws, hub) in devices)
            {
                await hub.PutAsync("note:from-hub", $"hub of {space}");
                await ws.PutAsync("note:from-ws", $"ws of {space}");
            }

            // Assert: each device has its own space's two notes, and nothing of another space.
            foreach (var (space, ws, hub) in devices)
            {
                await ws.WaitForValueAsync("note:from-hub", $"hub of {space}", LiveTimeout);
                await hub.WaitForValueAsync("note:from-ws", $"ws of {space}", LiveTimeout);
                Assert.Equal(ws.Snapshot(), hub.Snapshot());
                Assert.Equal(2, ws.Snapshot().Count);
            }
        }
        finally
        {
            foreach (var (_, ws, hub) in devices)
            {
                await ws.DisposeAsync();
                await hub.DisposeAsync();
            }
        }

        // Every key of a space on one primary; the spaces on more than one (the slots of these names are
        // fixed by CRC16, so this does not depend on the run).
        var primaries = new HashSet<int>();
        foreach (var space in spaces)
        {
            var ports = (await Cluster.PrimaryPortsOfAsync(RedisKeys.For(space).Select(k => k.ToString()))).Values.ToHashSet();
            Assert.Single(ports);
            primaries.Add(ports.Single());
        }

        Assert.True(primaries.Count >= 2, $"the {SpaceCount} spaces all landed on one shard");
    }

    [Fact]
    public async Task WithMinReplicasAPushIsRefusedWhileItsShardsReplicaCannotConfirmIt()
    {
        // Arrange: a node that acknowledges a push only once a replica holds it; the replica of one
        // space's shard stopped (SIGSTOP), the other shards' replicas healthy.
        var settings = NodeSettings(("NoteSync__Redis__MinReplicas", "1"), ("NoteSync__Redis__ReplicaWaitTimeoutMs", "300"));
        await using var node = await InProcessServer.StartAsync(settings);
        const string space = "cluster-wait";
        await using var device = HttpDevice.Create(node, "laptop", token: TestTokens.Mint(space));
        // A replica's confirmation can take longer than the wait on a busy machine: retried, bounded.
        await WaitUntilAcceptedAsync(device, "note:before");
        var replica = await Cluster.ReplicaOfAsync(await Cluster.PrimaryPortOfAsync(RedisKeys.For(space)[0].ToString()));
        replica.Pause();
        try
        {
            // Act and assert: every attempt is refused. WAIT has no key, so a cluster client left to route
            // it sends it to any primary, whose replicas would confirm it at once.
            for (var attempt = 0; attempt < 6; attempt++)
            {
                var refused = await Assert.ThrowsAsync<HttpRequestException>(() => device.PutAsync($"note:during-{attempt}", "no replica has this"));
                Assert.Contains("503", refused.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            replica.Resume();
        }

        // Once the replica is back, pushes are acknowledged again.
        await WaitUntilAcceptedAsync(device, "note:after");
    }

    [Fact]
    public async Task TheDoorbellOfASpaceIsAShardedChannelOfItsShard()
    {
        // Arrange: a live device in one space on a node.
        await using var node = await InProcessServer.StartAsync(NodeSettings());
        const string space = "cluster-bell";
        await using var device = await WsDevice.ConnectAsync(node, "laptop", token: TestTokens.Mint(space));
        await device.PullAsync();
        var channel = $"ns:{{{space}}}:bell";

        // Act: the subscriptions every node of the cluster holds on the space's doorbell, as the node's
        // subscription is made in the background.
        var deadline = DateTime.UtcNow + TestDevice.DefaultTimeout;
        var (sharded, classic) = (0L, 0L);
        while (sharded == 0 && DateTime.UtcNow < deadline)
        {
            (sharded, classic) = await SubscriptionsAsync(channel);
            await Task.Delay(50);
        }

        // Assert: a sharded subscription (SSUBSCRIBE, served by the space's shard), and no classic one,
        // which a cluster broadcasts to every node.
        Assert.True(sharded >= 1, $"no sharded subscription to {channel}");
        Assert.Equal(0, classic);
    }

    [Fact]
    public async Task EverySpaceOnEveryShardIsListed()
    {
        // Arrange: spaces written through the store itself, on whichever shards their slots fall.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Cluster.ConnectionString);
        await using var store = new RedisSyncStore(connection, NullLogger.Instance);
        var spaces = Enumerable.Range(0, SpaceCount).Select(i => $"listed-{i}").ToHashSet();
        foreach (var space in spaces)
        {
            await store.ApplyAsync(space, [new KeyedWrite("note:a", new Write(1, "d", space))]).WaitAsync(TestDevice.DefaultTimeout);
        }

        // Act: the list the head check and the start-up checks walk.
        var listed = new HashSet<string>();
        await foreach (var space in store.ListSpacesAsync())
        {
            listed.Add(space);
        }

        // Assert: these, beside the other tests' spaces on the same cluster.
        Assert.Subset(listed, spaces);
    }

    // (PUBSUB SHARDNUMSUB, PUBSUB NUMSUB) of a channel, summed over the running nodes.
    private async Task<(long Sharded, long Classic)> SubscriptionsAsync(string channel)
    {
        var (sharded, classic) = (0L, 0L);
        foreach (var server in Cluster.Servers.Where(s => s.ProcessId != 0))
        {
            await using var connection = await server.ConnectAsync();
            var admin = connection.GetServer(System.Net.IPAddress.Loopback, server.Port);
            sharded += (long)((RedisResult[])(await admin.ExecuteAsync("PUBSUB", "SHARDNUMSUB", channel))!)[1];
            classic += (long)((RedisResult[])(await admin.ExecuteAsync("PUBSUB", "NUMSUB", channel))!)[1];
        }

        return (sharded, classic);
    }

    // A node on the cluster, auth on (spaces from tokens), with more settings.
    private Dictionary<string, string> NodeSettings(params (string Name, string Value)[] more)
    {
        var settings = TestTokens.Settings();
        settings["NoteSync__Store"] = "redis";
        settings["NoteSync__Redis"] = Cluster.ConnectionString;
        foreach (var (name, value) in more)
        {
            settings[name] = value;
        }

        return settings;
    }

    private static async Task WaitUntilAcceptedAsync(HttpDevice device, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                await device.PutAsync(key, "accepted");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // The replica reconnects and catches up with its primary; until then pushes are refused.
                await Task.Delay(200);
            }
        }
    }
}
