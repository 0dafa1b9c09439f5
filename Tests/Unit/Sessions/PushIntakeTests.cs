using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Limits;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Sessions;

/// <summary>
/// The order of checks of <see cref="PushIntake"/>, in-process, with a budget of one push: expiry first,
/// then the budget (spent by every frame, readable or not), then reading; over HTTP the budget is taken
/// before the body is read.
/// </summary>
public sealed class PushIntakeTests : IAsyncLifetime
{
    private readonly List<DeviceConnection> _connections = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            connection.Session.Outbound.Cut();
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnUnreadableFrameSpendsTheBudgetAndTheRateIsToldBeforeWhatElseIsWrong()
    {
        var sink = new FakeSink();
        var intake = NewIntake();
        var connection = Open(intake, new DeviceIdentity("space", "device"), sink, () => { });

        Assert.True(await intake.AcceptAsync(connection, Unreadable("r1"), CancellationToken.None));
        Assert.True(await intake.AcceptAsync(connection, Unreadable("r2"), CancellationToken.None));

        var first = (await sink.NextWrittenAsync()).Error!;
        Assert.Equal((ErrorCodes.BadRequest, "r1"), (first.Code, first.RequestId));
        var second = (await sink.NextWrittenAsync()).Error!;
        Assert.Equal((ErrorCodes.RateLimited, "r2"), (second.Code, second.RequestId));
        Assert.NotNull(second.RetryAfterMs);
    }

    [Fact]
    public async Task AFrameAfterTheTokenExpiredIsNotServedAndEndsTheConnection()
    {
        var sink = new FakeSink();
        var intake = NewIntake();
        var expired = 0;
        var identity = new DeviceIdentity("space", "device", DateTimeOffset.UtcNow.AddSeconds(-1), "t:token");
        var connection = Open(intake, identity, sink, () => Interlocked.Increment(ref expired));

        Assert.False(await intake.AcceptAsync(connection, Unreadable("r1"), CancellationToken.None));
        Assert.False(await intake.AcceptAsync(connection, Unreadable("r2"), CancellationToken.None));

        // Refused before anything else: nothing answered, and the handler that ends the connection ran once
        // (the expiry timer, due at once, may be the one that ran it).
        await Waits.UntilAsync(() => Volatile.Read(ref expired) == 1, "the connection is ended");
        await connection.Session.DrainAsync().WaitAsync(Waits.Bound);
        Assert.Empty(sink.Started);
        Assert.Equal(1, Volatile.Read(ref expired));
    }

    [Fact]
    public async Task OverHttpTheBudgetIsTakenBeforeTheBodyIsRead()
    {
        var intake = NewIntake();
        var identity = new DeviceIdentity("space", "device");
        var reads = 0;
        ValueTask<PushRead> ReadBody(CancellationToken cancellationToken)
        {
            reads++;
            return ValueTask.FromResult(PushRead.Refused(ProtocolError.BadRequest("the body must be application/json"), 415));
        }

        var (first, firstStatus) = await intake.PushOnceAsync(identity, ReadBody, CancellationToken.None);
        var (second, secondStatus) = await intake.PushOnceAsync(identity, ReadBody, CancellationToken.None);

        Assert.Equal((ErrorCodes.BadRequest, 415), (first.Error!.Code, firstStatus));
        Assert.Equal((ErrorCodes.RateLimited, 0), (second.Error!.Code, secondStatus));
        Assert.Null(second.Error.RequestId);
        Assert.Equal(1, reads);
    }

    private static PushRead Unreadable(string requestId) => PushRead.Of(null, ProtocolError.BadRequest("frame must be a JSON object"), requestId);

    private static PushIntake NewIntake()
    {
        // One push, then one a second: the test's frames follow each other far faster.
        var options = Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions
        {
            Limits = new LimitsOptions { PushBurst = 1, PushesPerSecond = 1, PushBurstPerToken = 1, PushesPerSecondPerToken = 1 },
        });
        return new PushIntake(TestSyncServices.Create(new UnusedStore(), options), new SyncRateLimits(options), options);
    }

    private DeviceConnection Open(PushIntake intake, DeviceIdentity identity, FakeSink sink, Action onExpired)
    {
        var connection = intake.Open(identity, sink, onExpired, NullLogger.Instance);
        _connections.Add(connection);
        return connection;
    }

    /// <summary>No frame of these tests reaches the store.</summary>
    private sealed class UnusedStore : ISyncStore
    {
        public bool MergesConcurrentEdits => throw new NotSupportedException();

        public Task<ApplyResult> ApplyAsync(string space, IReadOnlyList<KeyedWrite> writes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ChangePage> ReadSinceAsync(string space, long afterSeq, int maxChanges, long maxBytes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<long> GetCursorAsync(string space, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryAsync(string space, string key, int maxVersions, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<NoteVersionText?> ReadVersionAsync(string space, string key, long timestamp, string deviceId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<TrashedNote>> ReadTrashAsync(string space, int maxNotes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<string> ListSpacesAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
