using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// Issue 3 item 6: nodes reach a Sentinel-managed Redis primary through the sentinels
/// (<c>serviceName=...</c>), follow a <c>SENTINEL FAILOVER</c> by themselves (store, doorbell, SignalR
/// backplane), and with <c>NoteSync:Redis:MinReplicas</c> acknowledge a push only once a replica holds it,
/// so the failover loses no acknowledged write. Each test has its own primary, replica and sentinel.
/// </summary>
public sealed class SentinelFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private RedisSentinelCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        _cluster = await RedisSentinelCluster.StartAsync();
        output.WriteLine($"primary, replica and sentinel up in {started.Elapsed}");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task WithMinReplicasAPushIsAckedOnlyOnceTheReplicaHoldsIt()
    {
        // Arrange: one node through the sentinel, one replica required, a short wait.
        await using var node = await ServerProcess.StartAsync(NodeSettings(headCheckMs: 1000));
        await using var device = await WsDevice.ConnectAsync(node, "laptop");
        var replica = await _cluster.ReplicaAsync();
        await using var onReplica = await replica.ConnectAsync();
        var entries = RedisKeys.For("default")[1];

        // Act + Assert 1: with the replica running, acked, and the replica has it.
        await device.PutAsync("note:replicated", "on two machines");
        Assert.True(await onReplica.GetDatabase().HashExistsAsync(entries, "note:replicated", CommandFlags.DemandReplica));

        // Act 2: the replica stops answering (SIGSTOP); a push cannot be confirmed.
        object answer;
        SyncAck pulled;
        replica.Pause();
        try
        {
            var push = device.NewPush(new Change { Key = "note:unconfirmed", Value = "primary only", Timestamp = device.Clock.Tick() });
            answer = await device.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!).WaitAsync(Bound);

            // A pull writes nothing, so it needs no replica: the connection keeps syncing.
            pulled = await device.PullAsync().WaitAsync(Bound);
        }
        finally
        {
            replica.Resume();
        }

        // Assert 2: the error frame, never an ack.
        var refused = Assert.IsType<ErrorFrame>(answer);
        Assert.Equal(ErrorCodes.Unavailable, refused.Code);
        Assert.NotNull(pulled);

        // Act + Assert 3: the replica is back; the same connection's re-sent push is acked, and replicated.
        await RetryUntilAckedAsync(() => device.PutAsync("note:unconfirmed", "primary only, then both"));
        Assert.True(await onReplica.GetDatabase().HashExistsAsync(entries, "note:unconfirmed", CommandFlags.DemandReplica));
        output.WriteLine(node.Output);
        Assert.Contains("was not acknowledged: 0 of 1 replicas confirmed", node.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task PrimaryCrashWhileTheReplicaLagsLosesAckedWritesOnlyWithoutMinReplicas(int minReplicas)
    {
        // Arrange: one node; a note acked while the replica keeps up.
        var settings = NodeSettings(headCheckMs: 1000);
        settings["NoteSync__Redis__MinReplicas"] = minReplicas.ToString(CultureInfo.InvariantCulture);
        await using var node = await ServerProcess.StartAsync(settings);
        await using var device = await WsDevice.ConnectAsync(node, "laptop");
        var acked = new List<string> { "note:before" };
        await device.PutAsync("note:before", "replicated");
        await _cluster.WaitUntilReplicatedAsync();
        var replica = await _cluster.ReplicaAsync();

        // Act: the replica falls behind (SIGSTOP, its link cut) while the device writes, then the
        // primary dies and the sentinel promotes the replica, which never got those writes.
        replica.Pause();
        var refused = 0;
        try
        {
            await _cluster.CutReplicationAsync();
            for (var i = 0; i < 3; i++)
            {
                var key = $"note:during/{i}";
                var push = device.NewPush(new Change { Key = key, Value = "primary only", Timestamp = device.Clock.Tick() });
                var answer = await device.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!).WaitAsync(Bound);
                if (answer is SyncAck)
                {
                    acked.Add(key);
                }
                else
                {
                    Assert.Equal(ErrorCodes.Unavailable, Assert.IsType<ErrorFrame>(answer).Code);
                    refused++;
                }
            }

            var crashed = await _cluster.CrashPrimaryAsync();
            replica.Resume();
            Assert.Equal(replica.Port, await _cluster.WaitForNewPrimaryAsync(crashed));
        }
        finally
        {
            replica.Resume();
        }

        // Assert: what the new primary holds, read directly.
        await using var promoted = await replica.ConnectAsync();
        var entries = RedisKeys.For("default")[1];
        var lost = new List<string>();
        foreach (var key in acked)
        {
            if (!await promoted.GetDatabase().HashExistsAsync(entries, key))
            {
                lost.Add(key);
            }
        }

        output.WriteLine($"MinReplicas={minReplicas}: {acked.Count} acked, {refused} refused, lost: [{string.Join(", ", lost)}]");
        if (minReplicas == 0)
        {
            // The control: without WAIT, the pushes acked during the lag are gone after the failover.
            Assert.Equal(["note:during/0", "note:during/1", "note:during/2"], lost);
            return;
        }

        Assert.Equal(3, refused);
        Assert.Empty(lost);

        // And through the node, from last_ack 0 (a pull writes nothing, so it needs no replica).
        await using var reader = await WsDevice.ConnectAsync(node, "reader");
        await RetryUntilAckedAsync(reader.PullAsync);
        Assert.All(acked, key => Assert.NotNull(reader.ValueOf(key)));
    }

    [Fact]
    public async Task StartUpChecksRunOnThePrimaryTheSentinelNames()
    {
        // Arrange
        var primary = await _cluster.PrimaryAsync();
        var settings = NodeSettings(headCheckMs: 1000);
        settings["NoteSync__Redis__MinReplicas"] = "2";

        // Act 1: one replica where two are asked for is a warning, not a refusal (replicas may attach later).
        await using (var node = await ServerProcess.StartAsync(settings))
        {
            Assert.Contains($"Redis 127.0.0.1:{primary.Port} has 1 connected replicas, fewer than NoteSync:Redis:MinReplicas=2", node.Output, StringComparison.Ordinal);
        }

        // Act 2: the primary behind the sentinel turns AOF off; a node refuses it, naming it.
        await using (var admin = await primary.ConnectAsync())
        {
            await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("appendonly", "no");
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(settings));
        Assert.Contains($"127.0.0.1:{primary.Port}: appendonly is 'no'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailoverUnderWriteLoadLosesNoAckedWriteAndNodesFollowTheNewPrimary()
    {
        // Arrange: two nodes; the head check is slowed to a minute, so live delivery after the
        // failover can only come from the doorbell's pub/sub on the new primary.
        var settings = NodeSettings(headCheckMs: 60_000);
        var starting = new[] { ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];
        await using var wsWriter = await WsDevice.ConnectAsync(nodeA, "ws-writer");
        await using var hubWriter = await HubDevice.ConnectAsync(nodeB, "hub-writer", messagePack: true);
        await using var listener = await HubDevice.ConnectAsync(nodeB, "listener", messagePack: false);
        await listener.PullAsync();
        var primaryBefore = await _cluster.PrimaryPortAsync();

        // Act: both writers write unique values to a few shared keys until each has acks from after the failover.
        var log = new WriteLog();
        using var stop = new CancellationTokenSource();
        var writers = new[] { WriteLoopAsync(wsWriter, log, stop.Token), WriteLoopAsync(hubWriter, log, stop.Token) };
        await log.WaitForAcksAsync(wsWriter.DeviceId, 5, after: 0, Bound);
        await log.WaitForAcksAsync(hubWriter.DeviceId, 5, after: 0, Bound);
        var primaryAfter = await _cluster.FailoverAsync();
        var failedOverAt = log.Sequence;
        try
        {
            await log.WaitForAcksAsync(wsWriter.DeviceId, 5, after: failedOverAt, Bound);
            await log.WaitForAcksAsync(hubWriter.DeviceId, 5, after: failedOverAt, Bound);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        // Assert 1: the failover really happened, to the other data node.
        Assert.NotEqual(primaryBefore, primaryAfter);
        Assert.Contains(_cluster.Servers, s => s.Port == primaryAfter);

        // Assert 2: a new write on node A reaches a live device on node B (doorbell on the new primary).
        await RetryUntilAckedAsync(() => wsWriter.PutAsync("note:after-failover", "through the new primary"));
        await listener.WaitForValueAsync("note:after-failover", "through the new primary", TimeSpan.FromSeconds(10));

        // Assert 3: a read from last_ack 0 on each node holds every acked write (or one that beats it), and
        // they agree. The hub reader connects after the failover, through the backplane on the new primary.
        await using var readerA = await WsDevice.ConnectAsync(nodeA, "reader-a");
        await using var readerB = await HubDevice.ConnectAsync(nodeB, "reader-b", messagePack: true);
        await readerA.PullAsync().WaitAsync(Bound);
        await readerB.PullAsync().WaitAsync(Bound);
        var acked = log.Acked;
        Assert.NotEmpty(acked);
        foreach (var reader in new TestDevice[] { readerA, readerB })
        {
            var lost = acked.Where(w => reader.StateOf(w.Key) is not { } state || Compare(state.Winner, w.Write) < 0).ToList();
            Assert.True(lost.Count == 0, $"{reader.DeviceId} lost {lost.Count} of {acked.Count} acked writes, e.g. {lost.FirstOrDefault()}");
        }

        Assert.Equal(readerA.Snapshot(), readerB.Snapshot());
        Assert.Equal(readerA.Cursor, readerB.Cursor);
        output.WriteLine($"primary {primaryBefore} -> {primaryAfter}; {acked.Count} pushes acked ({acked.Count(w => w.Sequence > failedOverAt)} after the failover), {log.RefusedCount} refused");
        output.WriteLine(nodeA.Output);
    }

    private Dictionary<string, string> NodeSettings(int headCheckMs) => new()
    {
        ["NoteSync__Store"] = "redis",
        ["NoteSync__Redis"] = _cluster.ConnectionString,
        ["NoteSync__Redis__MinReplicas"] = "1",
        ["NoteSync__Redis__ReplicaWaitTimeoutMs"] = "500",
        ["NoteSync__Sync__HeadCheckIntervalMs"] = headCheckMs.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Writes unique values to six shared keys until stopped, recording every acked write; refusals are retried later.</summary>
    private static async Task WriteLoopAsync(TestDevice device, WriteLog log, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var change = new Change
            {
                Key = $"note:shared/{i % 6}",
                Value = $"{device.DeviceId} #{i}",
                Timestamp = device.Clock.Tick(),
                DeviceId = device.DeviceId,
            };
            try
            {
                await device.PushAsync(device.NewPush(change), CancellationToken.None);
                log.Record(device.DeviceId, change);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HubException or TimeoutException)
            {
                // Not acknowledged (unavailable during the failover): it may or may not be in; nothing is claimed.
                log.Refused();
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    /// <summary>Retries a write refused as unavailable (a replica catching up, a failover) until acked.</summary>
    private static async Task RetryUntilAckedAsync(Func<Task<SyncAck>> write)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception ex) when (ex is InvalidOperationException or HubException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>CONTRACT §1's order of writes: timestamp, then device id, then value (ordinal, null lowest).</summary>
    private static int Compare(Write a, Write b)
    {
        var order = a.Timestamp.CompareTo(b.Timestamp);
        if (order == 0)
        {
            order = string.CompareOrdinal(a.DeviceId, b.DeviceId);
        }

        return order != 0 ? order : string.CompareOrdinal(a.Value, b.Value);
    }

    private sealed record AckedWrite(string Key, Write Write, long Sequence);

    /// <summary>
    /// The minimal history this test checks: acked writes, in the order their acks arrived, numbered so
    /// a test can ask for acks after a point. (To be replaced by the shared Jepsen-style checker.)
    /// </summary>
    private sealed class WriteLog
    {
        private readonly ConcurrentQueue<(string Writer, AckedWrite Write)> _acked = new();
        private long _sequence;
        private int _refused;

        public long Sequence => Interlocked.Read(ref _sequence);

        public int RefusedCount => Volatile.Read(ref _refused);

        public IReadOnlyList<AckedWrite> Acked => [.. _acked.Select(a => a.Write)];

        public void Record(string writer, Change change) =>
            _acked.Enqueue((writer, new AckedWrite(change.Key, new Write(change.Timestamp, writer, change.Value), Interlocked.Increment(ref _sequence))));

        public void Refused() => Interlocked.Increment(ref _refused);

        public async Task WaitForAcksAsync(string writer, int count, long after, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_acked.Count(a => a.Writer == writer && a.Write.Sequence > after) < count)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{writer}: fewer than {count} acks after #{after} within {timeout} ({RefusedCount} pushes refused so far)");
                }

                await Task.Delay(50);
            }
        }
    }
}
