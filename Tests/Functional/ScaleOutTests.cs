using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Two real servers (in this process, each its own application, connections and Kestrel) on one real Redis form one service (backplane and doorbell):
/// devices on different nodes see each other's edits live over every transport pair, a commit whose
/// doorbell message never arrives still reaches every device through the head check, and a device
/// may reconnect to the other node and resume from its <c>last_ack</c>. Each test has its own
/// redis-server (with auth off every device is in space <c>default</c>), so tests stay independent.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    // Well below the head check's interval in the live tests, so live delivery there comes from pub/sub.
    private static readonly TimeSpan LiveTimeout = TimeSpan.FromSeconds(5);

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task WebSocketDeviceOnOneNodeSeesAWebSocketWriteOnTheOtherLive()
    {
        // Arrange: the head check is slowed down to a minute, so only the doorbell can deliver in time.
        await using var nodes = await StartNodesAsync(headCheckMs: 60_000);
        var (node1, node2) = nodes;
        await using var reader = await WsDevice.ConnectAsync(node1, "reader");
        await using var writer = await WsDevice.ConnectAsync(node2, "writer");
        await reader.PullAsync();
        await writer.PullAsync();

        // Act
        var ack = await writer.PutAsync("note:cross/ws", "from node 2");

        // Assert
        await reader.WaitForValueAsync("note:cross/ws", "from node 2", LiveTimeout);
        Assert.Equal("writer", reader.StateOf("note:cross/ws")!.Winner.DeviceId);
        Assert.Equal(ack.AckTimestamp, reader.Cursor);
    }

    [Fact]
    public async Task SignalRAndWebSocketDevicesOnDifferentNodesSeeEachOtherLive()
    {
        await using var nodes = await StartNodesAsync(headCheckMs: 60_000);
        var (node1, node2) = nodes;
        await using var ws = await WsDevice.ConnectAsync(node1, "browser");
        await using var hub = await HubDevice.ConnectAsync(node2, "laptop", messagePack: true);
        await ws.PullAsync();
        await hub.PullAsync();

        await hub.PutAsync("note:from-hub", "hub on node 2");
        await ws.WaitForValueAsync("note:from-hub", "hub on node 2", LiveTimeout);
        await ws.PutAsync("note:from-ws", "ws on node 1");
        await hub.WaitForValueAsync("note:from-ws", "ws on node 1", LiveTimeout);

        Assert.Equal(ws.Snapshot(), hub.Snapshot());
    }

    [Fact]
    public async Task HttpWriteOnOneNodeReachesALiveHubDeviceOnTheOther()
    {
        await using var nodes = await StartNodesAsync(headCheckMs: 60_000);
        var (node1, node2) = nodes;
        await using var hub = await HubDevice.ConnectAsync(node2, "phone", messagePack: false);
        await using var script = HttpDevice.Create(node1, "cron-script");
        await hub.PullAsync();

        await script.PutAsync("note:reports/daily", "42 notes synced");

        await hub.WaitForValueAsync("note:reports/daily", "42 notes synced", LiveTimeout);
    }

    [Fact]
    public async Task CommitWithoutADoorbellMessageReachesDevicesOnEveryNodeThroughTheHeadCheck()
    {
        // Arrange: live devices on both nodes, then a third writer straight into Redis, a "node" with
        // no doorbell at all, exactly what a lost pub/sub message looks like to the two servers.
        await using var nodes = await StartNodesAsync(headCheckMs: 1000);
        var (node1, node2) = nodes;
        await using var ws = await WsDevice.ConnectAsync(node1, "browser");
        await using var hub = await HubDevice.ConnectAsync(node2, "laptop", messagePack: true);
        await ws.PullAsync();
        await hub.PullAsync();

        // Act
        var started = Stopwatch.StartNew();
        var applied = await CommitBehindTheNodesAsync("note:silent", new Write(7, "batch-job", "written behind the servers' backs"));

        // Assert: about one head-check interval, with no reconnect and no pull.
        var within = TimeSpan.FromSeconds(3);
        await ws.WaitForValueAsync("note:silent", "written behind the servers' backs", within);
        await hub.WaitForValueAsync("note:silent", "written behind the servers' backs", within);
        Assert.True(started.Elapsed < within + TimeSpan.FromSeconds(1), $"caught up after {started.Elapsed}");
        Assert.Equal(applied.Cursor, ws.Cursor);
    }

    [Fact]
    public async Task PullOnANodeSeesACommitItsDoorbellHasNotHeardOf()
    {
        // Arrange: a live device keeps node 1's in-memory window of recent changes; no head check in time.
        await using var nodes = await StartNodesAsync(headCheckMs: 60_000);
        var (node1, node2) = nodes;
        await using var live = await WsDevice.ConnectAsync(node1, "browser");
        await using var poller = HttpDevice.Create(node1, "script");
        await live.PutAsync("note:first", "1");
        await poller.PullAsync();

        // Act: a commit node 1 hears nothing about, then pulls there.
        var applied = await CommitBehindTheNodesAsync("note:silent", new Write(99, "batch-job", "acknowledged elsewhere"));
        var polled = await poller.PullAsync();
        var pulled = await live.PullAsync();

        // Assert: an answer is never older than a commit acknowledged before the pull.
        Assert.Equal(applied.Cursor, polled.AckTimestamp);
        Assert.Equal("acknowledged elsewhere", poller.ValueOf("note:silent"));
        Assert.Equal(applied.Cursor, pulled.AckTimestamp);
        Assert.Equal("acknowledged elsewhere", live.ValueOf("note:silent"));
    }

    // A restarted Redis has a new replication id, so the space's first change under it fences the clock
    // and renames the history (it cannot tell a restart that lost nothing from one that did): live
    // connections are dropped, and a device back with its epoch is reset and has everything.
    [Fact]
    public async Task ConnectedDevicesAreDroppedAfterARedisRestartAndResetWithEverythingOnReturn()
    {
        // Arrange
        await using var nodes = await StartNodesAsync(headCheckMs: 1000);
        var (node1, node2) = nodes;
        await using var reader = await WsDevice.ConnectAsync(node1, "reader");
        await using var writer = await WsDevice.ConnectAsync(node2, "writer");
        await reader.PullAsync();
        await writer.PutAsync("note:before", "before the restart");
        await reader.WaitForValueAsync("note:before", "before the restart", LiveTimeout);
        var before = await reader.PullAsync();

        // Act: Redis is killed (-9) and comes back on its AOF; the writer retries until acknowledged.
        await _redis.RestartAsync();
        var deadline = DateTime.UtcNow + TestDevice.DefaultTimeout;
        while (true)
        {
            try
            {
                await writer.PutAsync("note:after", "after the restart");
                break;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
            {
                // Refused while the node reconnects to Redis: nothing was acknowledged, so send again.
                await Task.Delay(100);
            }
        }

        // Assert: the reader on the other node loses its connection when the history is renamed; back,
        // with its epoch, it gets the whole space.
        await reader.Closed.WaitAsync(TestDevice.DefaultTimeout);
        await using var back = await WsDevice.ConnectAsync(node1, "reader");
        var push = back.NewPush();
        push.LastAck = before.AckTimestamp;
        push.Epoch = before.Epoch;
        var reset = await back.PushAsync(push);
        Assert.True(reset.Reset);
        Assert.NotEqual(before.Epoch, reset.Epoch);
        Assert.Equal("before the restart", back.ValueOf("note:before"));
        Assert.Equal("after the restart", back.ValueOf("note:after"));
    }

    [Fact]
    public async Task DeviceReconnectingToTheOtherNodeResumesFromItsLastAck()
    {
        await using var nodes = await StartNodesAsync(headCheckMs: 1000);
        var (node1, node2) = nodes;
        await using var writer = await WsDevice.ConnectAsync(node1, "writer");
        await writer.PullAsync();
        long lastAck;
        await using (var roaming = await WsDevice.ConnectAsync(node2, "roaming"))
        {
            await roaming.PullAsync();
            await writer.PutManyAsync([("note:1", "one"), ("note:2", "two")]);
            await roaming.WaitForValueAsync("note:2", "two", LiveTimeout);
            lastAck = roaming.Cursor;
        }

        // Act: edits while the device is away, then it comes back on the other node.
        await writer.PutAsync("note:3", "three");
        await writer.PutAsync("note:1", "one, edited");
        await using var back = await WsDevice.ConnectAsync(node1, "roaming");
        var resumed = await back.PushAsync(new SyncPush { LastAck = lastAck, RequestId = back.NextRequestId() });

        // Assert: exactly what changed since its last_ack, nothing older, nothing missed.
        Assert.Equal(["note:1", "note:3"], resumed.Changes.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Equal("one, edited", resumed.Changes.Single(c => c.Key == "note:1").Value);
        Assert.Equal(writer.Cursor, resumed.AckTimestamp);
    }

    // A write straight into Redis by a "node" with no doorbell: what a lost pub/sub message looks like to the servers.
    private async Task<ApplyResult> CommitBehindTheNodesAsync(string key, Write write)
    {
        await using var connection = await _redis.ConnectAsync();
        await using var silentNode = new RedisSyncStore(connection, NullLogger.Instance);
        return await silentNode.ApplyAsync("default", [new KeyedWrite(key, write)]).WaitAsync(TestDevice.DefaultTimeout);
    }

    private async Task<NodePair> StartNodesAsync(int headCheckMs)
    {
        var settings = new Dictionary<string, string>
        {
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Redis"] = _redis.ConnectionString,
            ["NoteSync__Sync__HeadCheckIntervalMs"] = headCheckMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var starting = new[] { InProcessServer.StartAsync(settings), InProcessServer.StartAsync(settings) };
        try
        {
            var nodes = await Task.WhenAll(starting);
            return new NodePair(nodes[0], nodes[1]);
        }
        catch
        {
            foreach (var node in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await node.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Two servers on the test's Redis, stopped together.</summary>
    private sealed class NodePair(InProcessServer node1, InProcessServer node2) : IAsyncDisposable
    {
        public void Deconstruct(out InProcessServer first, out InProcessServer second) => (first, second) = (node1, node2);

        public async ValueTask DisposeAsync()
        {
            await node1.DisposeAsync();
            await node2.DisposeAsync();
        }
    }
}
