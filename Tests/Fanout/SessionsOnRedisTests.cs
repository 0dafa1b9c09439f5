using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Fanout;
using NoteSync.Server.Limits;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Server.Sync;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Fanout;

/// <summary>
/// One node in-process (store, recent-changes window, doorbell, sync service, device sessions) on a
/// real redis-server, with another node's commits made through the store alone, under two
/// interleavings of the Jepsen soak: a re-send that rings before the node has heard of the commit it
/// covers, and a store whose clock goes back under an open connection.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed class SessionsOnRedisTests(RedisServerFixture fixture)
{
    private readonly string _space = $"sessions-{Guid.NewGuid():N}";

    private RedisSyncStore Store => field ??= new RedisSyncStore(fixture.Connection, NullLogger.Instance);

    [Fact]
    public async Task AReSendRingsDevicesOnlyOnceTheWindowKnowsTheCommitItCovers()
    {
        // Arrange: a device in sync at the first write, and a window that holds the space up to there.
        var node = NewNode(new SyncOptions());
        var first = await node.Service.PushAsync(_space, "writer", Write("note:a", 1, "a")).DefaultTimeout();
        var device = new ReadingDevice(node.Service, _space, first.Ack!.AckTimestamp);
        using var listen = node.Service.Listen(_space, device);
        await node.Service.PushAsync(_space, "reader", new SyncPush { LastAck = device.Cursor }).DefaultTimeout();

        // Another node commits note:b and stalls before it rings or publishes: only the store has it.
        var elsewhere = await Store.ApplyAsync(_space, [new KeyedWrite("note:b", new Write(first.Ack.AckTimestamp + 1, "writer", "b"))]).DefaultTimeout();

        // Act: the writer gave up on that node and re-sends note:b here. Nothing in it is new, and the
        // ring it makes carries the store's clock.
        var resend = Write("note:b", first.Ack.AckTimestamp + 1, "b");
        await node.Service.PushAsync(_space, "writer", resend).DefaultTimeout();

        // Assert: what the device read when the ring reached it brought it to that commit. Read before
        // the window knew of it, it brought nothing, and the cursor counted as heard: the other node's
        // message and the head checks would have stayed silent, for good after a space's last commit.
        await device.SettleAsync();
        Assert.Equal(elsewhere.Cursor, device.Cursor);
        Assert.Contains("note:b", device.Keys);
    }

    [Fact]
    public async Task AnAnswerBelowWhatTheConnectionWasSentDropsItInsteadOfTakingItsClockBack()
    {
        // Arrange: every read goes to the store, as when the window declines.
        var node = NewNode(new SyncOptions { RecentChangesPerSpace = 0 });
        var sink = new RecordingSink();
        await using var session = new DeviceSession(_space, "ws-b", node.Service, sink, new LimitsOptions(), node.Service.Metrics, NullLogger.Instance);
        await SubmitAsync(session, Write("note:a", 1, "a", requestId: "r1"));
        var answered = (await sink.NextAckAsync()).AckTimestamp;

        // Another node commits note:b; this node's head check hears it and the session sends it live.
        var lost = await Store.ApplyAsync(_space, [new KeyedWrite("note:b", new Write(answered + 1, "other", "b"))]).DefaultTimeout();
        await node.Doorbell.CheckHeadsAsync(CancellationToken.None).DefaultTimeout();
        Assert.Equal(lost.Cursor, (await sink.NextAckAsync()).AckTimestamp);

        // A failover promotes a replica that never got note:b: the clock is back where it was, and the
        // space keeps its epoch until its next change.
        var keys = RedisKeys.For(_space);
        var redis = fixture.Connection.GetDatabase();
        await redis.StringSetAsync(keys[0], answered).DefaultTimeout();
        await redis.HashDeleteAsync(keys[1], "note:b").DefaultTimeout();
        await redis.SortedSetRemoveAsync(keys[2], "note:b").DefaultTimeout();

        // Act: the device re-sends its write with the last_ack it had before the live frame reached it.
        var resend = Write("note:a", 1, "a", requestId: "r2");
        resend.LastAck = answered;
        await SubmitAsync(session, resend);

        // Assert: the answer, built at a clock below the live frame's, was not sent; the connection was
        // dropped before the answers drained, so the device comes back with its last_ack, above the
        // clock, and is reset. Whatever reached the wire after the live frame is no ack.
        Assert.True(sink.Aborted.IsCompleted, "the connection stayed open after an answer below what it was sent");
        Assert.All(sink.Remaining(), frame => Assert.Null(frame.Ack));
    }

    private static SyncPush Write(string key, long timestamp, string value, string? requestId = null) => new()
    {
        Changes = [new Change { Key = key, Value = value, Timestamp = timestamp }],
        RequestId = requestId,
    };

    private static async Task SubmitAsync(DeviceSession session, SyncPush push)
    {
        await session.SubmitAsync(push, session.Outbound).DefaultTimeout();
        await session.DrainAsync().DefaultTimeout();
    }

    private Node NewNode(SyncOptions sync)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions { Store = StoreKinds.Redis, Sync = sync });
        var metrics = new NoteSyncMetrics(new TestMeterFactory());
        var recent = new RecentChanges(options);
        var doorbell = new RedisDoorbell<LiveFrame>(fixture.Connection, Store, recent.OnHeard, metrics, NullLogger.Instance);
        var service = new SyncService(Store, recent, doorbell, options, metrics, new PullBudget(options), NullLogger<SyncService>.Instance);
        return new Node(service, doorbell);
    }

    private sealed record Node(SyncService Service, RedisDoorbell<LiveFrame> Doorbell);

    /// <summary>
    /// A device as its session's pump serves it, minus the thread hop: at each ring it reads the live
    /// frame from its cursor there and then, so the window decides what it gets at the moment of the
    /// ring. Frames are applied in ring order by <see cref="SettleAsync"/>.
    /// </summary>
    private sealed class ReadingDevice(SyncService service, string space, long cursor) : ISpaceListener<LiveFrame>
    {
        private readonly Lock _lock = new();
        private readonly List<Task<LiveFrame?>> _reads = [];

        public long Cursor { get; private set; } = cursor;

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        public void OnSpaceAdvanced(long cursor, LiveFrame? frame)
        {
            lock (_lock)
            {
                if (cursor > Cursor)
                {
                    _reads.Add(service.GetLiveFrameAsync(space, Cursor));
                }
            }
        }

        public async Task SettleAsync()
        {
            Task<LiveFrame?>[] reads;
            lock (_lock)
            {
                reads = [.. _reads];
                _reads.Clear();
            }

            foreach (var read in reads)
            {
                if (await read.DefaultTimeout() is { } frame)
                {
                    lock (_lock)
                    {
                        Cursor = Math.Max(Cursor, frame.Cursor);
                        Keys.UnionWith(frame.Frame.Ack!.Changes.Select(c => c.Key));
                    }
                }
            }
        }
    }

    /// <summary>The connection as the session writes to it: every frame in order, and whether it was dropped.</summary>
    private sealed class RecordingSink : IFrameSink
    {
        private readonly Channel<OutboundFrame> _frames = Channel.CreateUnbounded<OutboundFrame>();
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Aborted => _aborted.Task;

        public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
        {
            _frames.Writer.TryWrite(frame);
            return ValueTask.CompletedTask;
        }

        public void Abort() => _aborted.TrySetResult();

        public async Task<SyncAck> NextAckAsync() =>
            (await _frames.Reader.ReadAsync().AsTask().DefaultTimeout()).Ack ?? throw new InvalidOperationException("expected a sync_ack, got an error frame");

        public List<OutboundFrame> Remaining()
        {
            var frames = new List<OutboundFrame>();
            while (_frames.Reader.TryRead(out var frame))
            {
                frames.Add(frame);
            }

            return frames;
        }
    }
}
