using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Fanout;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Server.Sync;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;
using StackExchange.Redis;

namespace NoteSync.Tests.Fanout;

/// <summary>
/// <see cref="RedisDoorbell"/> in-process, two "nodes" on one real redis-server: rings cross nodes
/// without a frame, a node ignores its own echo, the subscription follows the local listeners, the
/// head check rings for a commit no message announced, again at every check, and at once when the
/// connection comes back.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed class RedisDoorbellTests(RedisServerFixture fixture) : IAsyncLifetime
{
    private readonly string _space = $"bell-{Guid.NewGuid():N}";
    private ConnectionMultiplexer _otherConnection = null!;

    // Does not own the connection, so it needs no disposal.
    private RedisSyncStore Store => field ??= new RedisSyncStore(fixture.Connection, NullLogger.Instance);

    public async Task InitializeAsync() => _otherConnection = await fixture.Server.ConnectAsync();

    public async Task DisposeAsync() => await _otherConnection.DisposeAsync();

    [Fact]
    public async Task RingReachesLocalListenersWithTheFrameAndOtherNodesWithTheCursorOnly()
    {
        // Arrange
        var nodeA = NewDoorbell(fixture.Connection);
        var nodeB = NewDoorbell(_otherConnection);
        var onA = new RecordingListener();
        var onB = new RecordingListener();
        using var listenA = nodeA.Listen(_space, onA);
        using var listenB = nodeB.Listen(_space, onB);
        await WaitForSubscribersAsync(2);
        var frame = new LiveFrame(4, 5, false, OutboundFrame.Of(new Shared.Protocol.SyncAck { AckTimestamp = 5 }));

        // Act
        nodeA.Ring(_space, 5, frame);

        // Assert: B hears the cursor without the frame; A heard it once, with the frame, and not its echo.
        var heardOnB = await onB.NextAsync();
        Assert.Equal((5L, (LiveFrame?)null), heardOnB);
        var heardOnA = await onA.NextAsync();
        Assert.Same(frame, heardOnA.Frame);
        await Task.Delay(200);
        Assert.Equal(0, onA.Pending);
        Assert.Equal(0, onB.Pending);
    }

    [Fact]
    public async Task SubscriptionLastsWhileTheNodeHasListenersInTheSpace()
    {
        var node = NewDoorbell(fixture.Connection);
        var first = node.Listen(_space, new RecordingListener());
        var second = node.Listen(_space, new RecordingListener());
        await WaitForSubscribersAsync(1);

        first.Dispose();
        await Task.Delay(100);
        Assert.Equal(1, await SubscribersAsync());
        second.Dispose();

        await WaitForSubscribersAsync(0);
        Assert.Equal(0, node.SpaceCount);
    }

    [Fact]
    public async Task HeadCheckRingsForACommitNoMessageAnnouncedAtEveryCheck()
    {
        // Arrange
        var node = NewDoorbell(_otherConnection);
        var listener = new RecordingListener();
        using var listen = node.Listen(_space, listener);
        await node.CheckHeadsAsync(CancellationToken.None).DefaultTimeout();
        Assert.Equal(0, listener.Pending);

        // Act: a commit through the store alone, as from a node whose message was lost.
        var applied = await Store.ApplyAsync(_space, [new KeyedWrite("note:a", new Write(3, "d", "v"))]).DefaultTimeout();
        await node.CheckHeadsAsync(CancellationToken.None).DefaultTimeout();
        await node.CheckHeadsAsync(CancellationToken.None).DefaultTimeout();

        // Assert: one ring per check, each with the head and no frame (a listener already there ignores it).
        Assert.Equal((applied.Cursor, (LiveFrame?)null), await listener.NextAsync());
        Assert.Equal((applied.Cursor, (LiveFrame?)null), await listener.NextAsync());
        Assert.Equal(0, listener.Pending);
    }

    [Fact]
    public async Task HeadCheckRingsAgainForAClockTheNodeHasAlreadyRung()
    {
        // Arrange: the node rang its listeners for a commit, so it counts that clock as heard; but a
        // ring is not a delivery (the device's read may have failed), and no commit follows.
        var node = NewDoorbell(_otherConnection);
        var listener = new RecordingListener();
        using var listen = node.Listen(_space, listener);
        var applied = await Store.ApplyAsync(_space, [new KeyedWrite("note:a", new Write(3, "d", "v"))]).DefaultTimeout();
        node.Ring(_space, applied.Cursor, null);
        Assert.Equal(applied.Cursor, (await listener.NextAsync()).Cursor);

        // Act
        await node.CheckHeadsAsync(CancellationToken.None).DefaultTimeout();

        // Assert: the head check rings again, so a device still behind reads once more.
        Assert.Equal((applied.Cursor, (LiveFrame?)null), await listener.NextAsync());
    }

    [Fact]
    public async Task ACommitAnnouncedWhileTheSubscriptionWasAwayRingsAsSoonAsItIsBack()
    {
        // Arrange: node B on its own named connection, its head check loop at a minute, so only the
        // reconnection can make it ring within the test's wait.
        var name = $"node-b-{Guid.NewGuid():N}";
        var config = ConfigurationOptions.Parse(fixture.Server.ConnectionString);
        config.ClientName = name;
        config.AbortOnConnectFail = false;
        await using var connectionB = await ConnectionMultiplexer.ConnectAsync(config);
        var nodeB = NewDoorbell(connectionB);
        var listener = new RecordingListener();
        using var listen = nodeB.Listen(_space, listener);
        await WaitForSubscribersAsync(1);
        var options = Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions { Sync = { HeadCheckIntervalMs = 60_000 } });
        using var loop = new DoorbellHeadCheckService(nodeB, options, NullLogger<DoorbellHeadCheckService>.Instance);
        await loop.StartAsync(CancellationToken.None);

        // Act: a commit whose message B never gets (through the store alone, as while B's subscription
        // was away), then B's subscription connection is killed, as a Sentinel does at a failover.
        var applied = await Store.ApplyAsync(_space, [new KeyedWrite("note:a", new Write(3, "d", "v"))]).DefaultTimeout();
        var server = fixture.Connection.GetServer(fixture.Connection.GetEndPoints()[0]);
        var subscription = Assert.Single(await server.ClientListAsync().DefaultTimeout(), c => c.Name == name && c.ClientType == ClientType.PubSub);
        await server.ExecuteAsync("CLIENT", "KILL", "ID", subscription.Id).DefaultTimeout();

        // Assert: the restored connection asked for a head check, which rang the commit.
        Assert.Equal((applied.Cursor, (LiveFrame?)null), await listener.NextAsync());
        await loop.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task MalformedMessagesAndOldCursorsAreIgnored()
    {
        var node = NewDoorbell(_otherConnection);
        var listener = new RecordingListener();
        using var listen = node.Listen(_space, listener);
        await WaitForSubscribersAsync(1);
        var publisher = fixture.Connection.GetSubscriber();

        // Pub/sub handlers may run concurrently, so each step waits for its ring before the next.
        await publisher.PublishAsync(RedisDoorbell.ChannelFor(_space), "not a ring").DefaultTimeout();
        await publisher.PublishAsync(RedisDoorbell.ChannelFor(_space), "-3 other").DefaultTimeout();
        await publisher.PublishAsync(RedisDoorbell.ChannelFor(_space), "9 other").DefaultTimeout();
        Assert.Equal(9, (await listener.NextAsync()).Cursor);
        await publisher.PublishAsync(RedisDoorbell.ChannelFor(_space), "8 other").DefaultTimeout();
        await publisher.PublishAsync(RedisDoorbell.ChannelFor(_space), "10 other").DefaultTimeout();

        // Whatever order 8 and 10 are handled in, 8 is below what was heard: only 10 rings.
        Assert.Equal(10, (await listener.NextAsync()).Cursor);
        await Task.Delay(100);
        Assert.Equal(0, listener.Pending);
    }

    private RedisDoorbell<LiveFrame> NewDoorbell(IConnectionMultiplexer connection) => new(
        connection,
        Store,
        new RecentChanges(Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions())).OnHeard,
        new NoteSyncMetrics(new TestMeterFactory()),
        NullLogger.Instance);

    private async Task<long> SubscribersAsync()
    {
        var server = fixture.Connection.GetServer(fixture.Connection.GetEndPoints()[0]);
        return await server.SubscriptionSubscriberCountAsync(RedisDoorbell.ChannelFor(_space)).DefaultTimeout();
    }

    private async Task WaitForSubscribersAsync(long expected)
    {
        var deadline = DateTime.UtcNow + TestDevice.DefaultTimeout;
        while (await SubscribersAsync() != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the channel never had {expected} subscribers");
            await Task.Delay(20);
        }
    }

    private sealed class RecordingListener : ISpaceListener<LiveFrame>
    {
        private readonly Channel<(long Cursor, LiveFrame? Frame)> _heard = Channel.CreateUnbounded<(long, LiveFrame?)>();

        public int Pending => _heard.Reader.Count;

        public void OnSpaceAdvanced(long cursor, LiveFrame? frame) => _heard.Writer.TryWrite((cursor, frame));

        public async Task<(long Cursor, LiveFrame? Frame)> NextAsync() =>
            await _heard.Reader.ReadAsync().AsTask().WaitAsync(TestDevice.DefaultTimeout);
    }
}
