using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Sessions;

/// <summary>The outbound queue alone, on a fake connection: order, water marks, backpressure, the stall cut and the ways it ends.</summary>
public sealed class OutboundQueueTests : IAsyncLifetime
{
    private readonly List<OutboundQueue> _queues = [];
    private int _liveRoomCalls;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            queue.Cut();
            await queue.DisposeAsync();
        }

    }

    [Fact]
    public async Task FramesAreWrittenInTheOrderTheyWereQueued()
    {
        var sink = new FakeSink();
        var queue = NewQueue(sink);

        await queue.DeliverAsync(PushResult.Acked(Ack(1)));
        Assert.True(queue.TryEnqueueLive(OutboundFrame.Of(Ack(2))));
        await queue.DeliverAsync(PushResult.Failed(new ErrorFrame { Code = ErrorCodes.BadRequest, Message = "no" }));
        Assert.True(queue.TryEnqueueLive(OutboundFrame.Of(Ack(3))));

        Assert.Equal(1, (await sink.NextWrittenAsync()).Ack!.AckTimestamp);
        Assert.Equal(2, (await sink.NextWrittenAsync()).Ack!.AckTimestamp);
        Assert.Equal("no", (await sink.NextWrittenAsync()).Error!.Message);
        Assert.Equal(3, (await sink.NextWrittenAsync()).Ack!.AckTimestamp);
    }

    [Fact]
    public async Task LivePushesStopAtHalfTheQueueAndTheOwnerIsCalledBackOnceAtAQuarter()
    {
        // Eight frames: live pushes may fill four, and come back once two are left.
        var sink = new FakeSink(open: false);
        var queue = NewQueue(sink, queueFrames: 8);

        for (var i = 1; i <= 4; i++)
        {
            Assert.True(queue.TryEnqueueLive(OutboundFrame.Of(Ack(i))), $"live push {i} fits under the high water mark");
        }

        Assert.False(queue.TryEnqueueLive(OutboundFrame.Of(Ack(5))));
        Assert.True(queue.IsLiveDeferred);
        Assert.False(queue.HasLiveRoom());

        // One written: three left, above the low water mark; no call back yet.
        sink.Allow(1);
        await Waits.UntilAsync(() => queue.Unsent == 3, "one frame is written");
        Assert.Equal(0, Volatile.Read(ref _liveRoomCalls));

        sink.Allow(1);
        await Waits.UntilAsync(() => Volatile.Read(ref _liveRoomCalls) == 1, "the owner is called back at the low water mark");
        Assert.False(queue.IsLiveDeferred);

        // Draining further calls nobody: only a refusal arms the call back.
        sink.Allow(2);
        await Waits.UntilAsync(() => queue.Unsent == 0, "the queue drains");
        Assert.Equal(1, Volatile.Read(ref _liveRoomCalls));
        Assert.True(queue.HasLiveRoom());
    }

    [Fact]
    public async Task AnAnswerWaitsForRoomInsteadOfBeingDropped()
    {
        var sink = new FakeSink(open: false);
        var queue = NewQueue(sink, queueFrames: 2);

        // The write loop holds one frame in its send; two more fill the queue.
        await queue.DeliverAsync(PushResult.Acked(Ack(1)));
        await Waits.UntilAsync(() => sink.Started.Count == 1, "the first send starts");
        await queue.DeliverAsync(PushResult.Acked(Ack(2)));
        await queue.DeliverAsync(PushResult.Acked(Ack(3)));

        var fourth = queue.DeliverAsync(PushResult.Acked(Ack(4))).AsTask();
        Assert.False(fourth.IsCompleted, "a full queue makes the answer wait");
        Assert.False(queue.TryEnqueueLive(OutboundFrame.Of(Ack(5))), "a live push never waits");

        sink.Allow(4);
        await fourth.WaitAsync(Waits.Bound);
        await Waits.UntilAsync(() => queue.Unsent == 0, "every answer is written");
        Assert.Equal(new long[] { 1, 2, 3, 4 }, sink.Started.Select(f => f.Ack!.AckTimestamp));
    }

    [Fact]
    public async Task WhenSentCompletesOnlyOnceEverythingQueuedBeforeIsWritten()
    {
        var sink = new FakeSink(open: false);
        var queue = NewQueue(sink);
        Assert.True(queue.WhenSentAsync().IsCompleted, "nothing queued: nothing to wait for");

        Assert.True(queue.TryEnqueueLive(OutboundFrame.Of(Ack(1))));
        Assert.True(queue.TryEnqueueLive(OutboundFrame.Of(Ack(2))));
        var sent = queue.WhenSentAsync();

        sink.Allow(1);
        await sink.NextWrittenAsync();
        Assert.False(sent.IsCompleted);

        sink.Allow(1);
        await sent.WaitAsync(Waits.Bound);
    }

    [Fact]
    public async Task ADeviceThatReadsNothingForTheStallBoundIsCut()
    {
        var sink = new FakeSink(open: false);
        var queue = NewQueue(sink, stallMs: 50);

        Assert.True(queue.TryEnqueueLive(OutboundFrame.Of(Ack(1))));

        await sink.Aborted.WaitAsync(Waits.Bound);
        Assert.True(queue.Closed.IsCancellationRequested);
        Assert.False(queue.TryEnqueueLive(OutboundFrame.Of(Ack(2))), "a cut queue takes nothing");
    }

    [Fact]
    public async Task AFailedSendCutsTheConnection()
    {
        var sink = new FakeSink();
        sink.FailNextSend(new IOException("reset by peer"));
        var queue = NewQueue(sink);

        await queue.DeliverAsync(PushResult.Acked(Ack(1)));

        await sink.Aborted.WaitAsync(Waits.Bound);
        Assert.True(queue.Closed.IsCancellationRequested);
    }

    [Fact]
    public async Task CompletingWritesWhatIsQueuedThenEnds()
    {
        var sink = new FakeSink(open: false);
        var queue = NewQueue(sink);
        await queue.DeliverAsync(PushResult.Acked(Ack(1)));
        await queue.DeliverAsync(PushResult.Acked(Ack(2)));

        var completed = queue.CompleteAsync();
        Assert.False(completed.IsCompleted);
        sink.Allow(2);
        await completed.WaitAsync(Waits.Bound);

        Assert.Equal(new long[] { 1, 2 }, sink.Started.Select(f => f.Ack!.AckTimestamp));
        Assert.False(sink.Aborted.IsCompleted, "a flush is not a cut");
        Assert.False(queue.TryEnqueueLive(OutboundFrame.Of(Ack(3))));
    }

    [Fact]
    public async Task ACutReleasesAnAnswerWaitingForRoomAndDropsTheRest()
    {
        var sink = new FakeSink(open: false);
        var queue = NewQueue(sink, queueFrames: 1);
        await queue.DeliverAsync(PushResult.Acked(Ack(1)));
        await Waits.UntilAsync(() => sink.Started.Count == 1, "the first send starts");
        await queue.DeliverAsync(PushResult.Acked(Ack(2)));
        var waiting = queue.DeliverAsync(PushResult.Acked(Ack(3))).AsTask();
        Assert.False(waiting.IsCompleted);

        queue.Cut();

        await waiting.WaitAsync(Waits.Bound);
        await sink.Aborted.WaitAsync(Waits.Bound);
        await queue.DisposeAsync().AsTask().WaitAsync(Waits.Bound);
        Assert.Single(sink.Started);
    }

    private static SyncAck Ack(long cursor) => new() { AckTimestamp = cursor };

    private OutboundQueue NewQueue(FakeSink sink, int queueFrames = 64, int stallMs = 30_000)
    {
        var limits = new LimitsOptions { SendQueueFrames = queueFrames, SendStallMs = stallMs };
        var queue = new OutboundQueue(sink, limits, new NoteSyncMetrics(new TestMeterFactory()), NullLogger.Instance, "space", "device", () => Interlocked.Increment(ref _liveRoomCalls));
        _queues.Add(queue);
        return queue;
    }
}
