using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Sessions;

/// <summary>
/// One device session on a scripted sync layer and a fake connection: pipelined answers in arrival
/// order, live pushes only after the first answer and never ahead of pending answers, the pump that
/// follows the answers and the queue's drain, and the ways a session ends.
/// </summary>
public sealed class DeviceSessionTests : IAsyncLifetime
{
    private readonly FakeSessionSync _sync = new();
    private readonly List<DeviceSession> _sessions = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var session in _sessions)
        {
            session.Outbound.Cut();
            await session.DisposeAsync();
        }

    }

    [Fact]
    public async Task PipelinedAnswersLeaveInArrivalOrderWhateverOrderTheirWritesFinishIn()
    {
        var sink = new FakeSink();
        var session = NewSession(sink);
        await session.SubmitAsync(FakeSessionSync.Push("p1"), session.Outbound);
        await session.RefuseAsync(new ErrorFrame { Code = ErrorCodes.BadRequest, Message = "unreadable", RequestId = "p2" }, session.Outbound);
        await session.SubmitAsync(FakeSessionSync.Push("p3"), session.Outbound);

        _sync.Commit("p3", 3);
        _sync.Commit("p1", 1);
        await session.DrainAsync().WaitAsync(Waits.Bound);

        Assert.Equal("p1 p2 p3", string.Join(' ', await RequestIdsAsync(sink, 3)));
        Assert.Equal(3, session.Cursor);
    }

    [Fact]
    public async Task OnlyTheFirstAnswerTellsTheLimits()
    {
        var sink = new FakeSink();
        var session = NewSession(sink);
        _sync.Commit("p1", 1);
        _sync.Commit("p2", 2);
        await session.SubmitAsync(FakeSessionSync.Push("p1"), session.Outbound);
        await session.SubmitAsync(FakeSessionSync.Push("p2"), session.Outbound);

        Assert.NotNull((await sink.NextWrittenAsync()).Ack!.Limits);
        Assert.Null((await sink.NextWrittenAsync()).Ack!.Limits);
    }

    [Fact]
    public void NoLivePushBeforeTheFirstAnswer()
    {
        var sink = new FakeSink();
        var session = NewSession(sink);

        _sync.Head = 1;
        _sync.Listener!.OnSpaceAdvanced(1, FakeSessionSync.Live(0, 1));

        // The ring was heard on this thread, and a session without a cursor neither sends nor reads.
        Assert.Empty(sink.Started);
        Assert.Equal(0, _sync.LiveReads);
        Assert.Equal(-1, session.Cursor);
    }

    [Fact]
    public async Task ARingCarryingTheNextFrameIsSentAsItIs()
    {
        var sink = new FakeSink();
        var session = await SyncedSessionAsync(sink, cursor: 5);

        var frame = FakeSessionSync.Live(5, 6);
        _sync.Listener!.OnSpaceAdvanced(6, frame);

        Assert.Same(frame.Frame, await sink.NextWrittenAsync());
        Assert.Equal(6, session.Cursor);
        Assert.Equal(0, _sync.LiveReads);
    }

    [Fact]
    public async Task RingsWhileAnswersArePendingWaitForTheAnswersThenOnePumpSendsTheRest()
    {
        var sink = new FakeSink();
        var session = await SyncedSessionAsync(sink, cursor: 5);
        await session.SubmitAsync(FakeSessionSync.Push("p2"), session.Outbound);

        // Another device commits 6 and 7 while p2 waits for its write: nothing goes out ahead of p2's answer.
        _sync.Head = 7;
        _sync.Listener!.OnSpaceAdvanced(6, FakeSessionSync.Live(5, 6));
        _sync.Listener.OnSpaceAdvanced(7, FakeSessionSync.Live(6, 7));
        Assert.Empty(sink.Started.Skip(1));

        // p2's answer carries up to 6; the pump after it brings the device to 7.
        _sync.Commit("p2", 6);
        Assert.Equal("p2", (await sink.NextWrittenAsync()).Ack!.RequestId);
        var live = await sink.NextWrittenAsync();
        Assert.Null(live.Ack!.RequestId);
        Assert.Equal(7, live.Ack.AckTimestamp);
        await Waits.UntilAsync(() => session.Cursor == 7, "the cursor follows the live push");
    }

    [Fact]
    public async Task ADeviceBehindGetsOneFrameForEverythingOnceItHasReadTheQueueDown()
    {
        // Eight frames: live pushes stop at four and resume at two.
        var sink = new FakeSink(open: false);
        sink.Allow(1);
        var session = await SyncedSessionAsync(sink, cursor: 1, queueFrames: 8);

        for (var cursor = 2L; cursor <= 10; cursor++)
        {
            _sync.Head = cursor;
            _sync.Listener!.OnSpaceAdvanced(cursor, FakeSessionSync.Live(cursor - 1, cursor));
        }

        // Four went to the queue (2..5, the first of them in its send); the rest waits in the log.
        Assert.Equal(5, session.Cursor);
        Assert.Equal(0, _sync.LiveReads);

        sink.Allow(100);
        await Waits.UntilAsync(() => session.Cursor == 10, "the pump catches the device up");
        await Waits.UntilAsync(() => sink.Started.Count == 6, "the catch-up frame is sent");
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 10 }, sink.Started.Select(f => f.Ack!.AckTimestamp));
        Assert.Equal(1, _sync.LiveReads);
    }

    [Fact]
    public async Task AnAnswerBelowTheCursorIsRefusedAndTheConnectionDropped()
    {
        var sink = new FakeSink();
        var session = await SyncedSessionAsync(sink, cursor: 5);

        _sync.Commit("p2", 3);
        await session.SubmitAsync(FakeSessionSync.Push("p2"), session.Outbound);

        // The answer is refused rather than sent (the cut may overtake the refusal itself).
        await sink.Aborted.WaitAsync(Waits.Bound);
        Assert.True(session.Closed.IsCancellationRequested);
        Assert.DoesNotContain(sink.Started, f => f.Ack?.RequestId == "p2");
        Assert.All(sink.Started.Where(f => f.Error is not null), f => Assert.Equal((ErrorCodes.Unavailable, DeviceSession.ClosingMessage, "p2"), (f.Error!.Code, f.Error.Message, f.Error.RequestId)));
        Assert.Equal(5, session.Cursor);
    }

    [Fact]
    public async Task ALivePushFromAnotherHistoryDropsTheConnection()
    {
        _sync.Epoch = "e1";
        var sink = new FakeSink();
        var session = await SyncedSessionAsync(sink, cursor: 5);

        _sync.Listener!.OnSpaceAdvanced(6, FakeSessionSync.Live(5, 6, epoch: "e2"));

        await sink.Aborted.WaitAsync(Waits.Bound);
        Assert.True(session.Closed.IsCancellationRequested);
        Assert.Equal(5, session.Cursor);
    }

    [Fact]
    public async Task FlushingStopsHearingTheSpaceAndWritesWhatIsQueued()
    {
        var sink = new FakeSink(open: false);
        var session = NewSession(sink);
        _sync.Commit("p1", 1);
        await session.SubmitAsync(FakeSessionSync.Push("p1"), session.Outbound);
        await session.DrainAsync().WaitAsync(Waits.Bound);

        var flushed = session.FlushAsync();
        Assert.True(_sync.Unsubscribed);
        Assert.False(flushed.IsCompleted);

        sink.Allow(1);
        await flushed.WaitAsync(Waits.Bound);
        Assert.Equal("p1", Assert.Single(sink.Started).Ack!.RequestId);
        Assert.False(sink.Aborted.IsCompleted);
    }

    [Fact]
    public async Task AHubStyleAnswerTargetIsCalledInTurnAndCanWaitForTheQueue()
    {
        // The hub writes its answers itself, after the live pushes queued before them.
        var sink = new FakeSink(open: false);
        sink.Allow(1);
        var session = await SyncedSessionAsync(sink, cursor: 1);
        _sync.Listener!.OnSpaceAdvanced(2, FakeSessionSync.Live(1, 2));
        var target = new WaitingTarget(session.Outbound);

        _sync.Commit("p2", 2);
        await session.SubmitAsync(FakeSessionSync.Push("p2"), target);
        Assert.False(target.Delivered.IsCompleted, "the live push queued before the answer is not written yet");

        sink.Allow(1);
        Assert.Equal("p2", (await target.Delivered.WaitAsync(Waits.Bound)).Ack!.RequestId);
    }

    private async Task<DeviceSession> SyncedSessionAsync(FakeSink sink, long cursor, int queueFrames = 64)
    {
        var session = NewSession(sink, queueFrames);
        _sync.Head = cursor;
        _sync.Commit("first", cursor);
        await session.SubmitAsync(FakeSessionSync.Push("first"), session.Outbound);
        await session.DrainAsync().WaitAsync(Waits.Bound);
        Assert.Equal("first", (await sink.NextWrittenAsync()).Ack!.RequestId);
        Assert.Equal(cursor, session.Cursor);
        return session;
    }

    private DeviceSession NewSession(FakeSink sink, int queueFrames = 64)
    {
        var limits = new LimitsOptions { SendQueueFrames = queueFrames };
        var session = new DeviceSession("space", "device", _sync, sink, limits, new NoteSyncMetrics(new TestMeterFactory()), NullLogger.Instance);
        _sessions.Add(session);
        return session;
    }

    private static async Task<string[]> RequestIdsAsync(FakeSink sink, int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            var frame = await sink.NextWrittenAsync();
            ids[i] = frame.Ack?.RequestId ?? frame.Error!.RequestId ?? "";
        }

        return ids;
    }

    private sealed class WaitingTarget(OutboundQueue queue) : IAnswerTarget
    {
        private readonly TaskCompletionSource<PushResult> _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<PushResult> Delivered => _delivered.Task;

        public async ValueTask DeliverAsync(PushResult result)
        {
            await queue.WhenSentAsync();
            _delivered.TrySetResult(result);
        }
    }
}
