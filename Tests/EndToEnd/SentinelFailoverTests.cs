using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// Nodes reach a Sentinel-managed Redis primary through the sentinels
/// (<c>serviceName=...</c>), follow a <c>SENTINEL FAILOVER</c> by themselves (store, doorbell, SignalR
/// backplane), and with <c>NoteSync:Redis:MinReplicas</c> acknowledge a push only once a replica holds it,
/// so the failover loses no acknowledged write. Each test has its own primary, replica and sentinel.
/// </summary>
[LongRunning(49)]
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

        // Act: the replica falls behind (SIGSTOP, its link cut) while the device writes, then the
        // primary dies and the sentinel promotes the replica, which never got those writes.
        var refused = 0;
        var replica = await FailOverWhileTheReplicaMissesAsync(async () =>
        {
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
        });

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
    public async Task AFailoverThatLosesAckedWritesEndsWithThemBackFromTheDeviceThatHoldsThem()
    {
        // Arrange: MinReplicas 0, so writes are acked before any replica has them; two .NET clients.
        var settings = NodeSettings(headCheckMs: 1000);
        settings["NoteSync__Redis__MinReplicas"] = "0";
        await using var node = await ServerProcess.StartAsync(settings);
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var laptop = ClientKit.Start(node, "laptop", laptopDir.Path);
        await using var phone = ClientKit.Start(node, "phone", phoneDir.Path);
        await laptop.PutAsync("before.md", "replicated");
        await laptop.SyncBoundedAsync();

        // Act: the replica falls behind while the laptop writes three notes, acked by the primary alone;
        // the primary dies and the replica, which never got them, is promoted.
        await LoseWhatIsWrittenDuringAsync(async () =>
        {
            await WriteTheNotesToLoseAsync(laptop);
        }, "note:during/0.md");

        // The phone writes on the new primary (which fences the clock and renames the history); the
        // laptop syncs again, as it does on its next edit or reconnect.
        await phone.PutAsync("after.md", "written after the failover");
        await ClientKit.WaitUntilAsync(async () =>
        {
            try
            {
                await laptop.SyncBoundedAsync();
                await phone.SyncBoundedAsync();
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return false;
            }
        }, "both devices to sync through the new primary", Bound);

        // Assert: the laptop was reset and put its lost writes back; both devices and the store hold everything.
        await EveryoneHoldsEverythingAsync(node, laptop, phone);
    }

    [Fact]
    public async Task ALossyFailoverRenamesTheHistoryUnderALiveDeviceOfAnotherNode()
    {
        // Arrange: two nodes, MinReplicas 0. On node B, a raw WebSocket device that stays live and the
        // laptop (.NET client); on node A, the phone.
        var settings = NodeSettings(headCheckMs: 1000);
        settings["NoteSync__Redis__MinReplicas"] = "0";
        settings["Logging__LogLevel__NoteSync"] = "Information";
        var starting = new[] { ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var laptop = ClientKit.Start(nodeB, "laptop", laptopDir.Path);
        await using var phone = ClientKit.Start(nodeA, "phone", phoneDir.Path);
        await using var watcher = await WsDevice.ConnectAsync(nodeB, "watcher");
        await watcher.PullAsync();
        await laptop.PutAsync("before.md", "replicated");
        await laptop.SyncBoundedAsync();

        // Act: the laptop's three notes are acked by the primary alone and lost by the failover, after
        // the watcher received them live: its cursor is above anything the new primary holds.
        await LoseWhatIsWrittenDuringAsync(async () =>
        {
            await WriteTheNotesToLoseAsync(laptop);
            await watcher.WaitForValueAsync("note:during/2.md", "acked, then lost by the store", Bound);
        }, "note:during/0.md");
        await phone.PutAsync("after.md", "written after the failover");

        // Assert: node B learns of the history node A's write renamed, and aborts the watcher's
        // connection (no close frame, docs/protocol.md §3.4) rather than feed it the new history from a
        // cursor that history never had; the laptop, reset, puts its lost notes back; every device and
        // the store end with everything.
        Assert.Null(await watcher.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
        await EveryoneHoldsEverythingAsync(nodeA, laptop, phone);

        Assert.Contains("under device watcher's connection; closed so it reconnects and is reset", nodeB.Output, StringComparison.Ordinal);
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

        // Act 1b: a second replica where one is asked for is a warning too: in a failover the old primary
        // may take writes that the replica not yet moved confirms, acknowledged and then lost.
        settings["NoteSync__Redis__MinReplicas"] = "1";
        await _cluster.AddReplicaAsync();

        await using (var node = await ServerProcess.StartAsync(settings))
        {
            Assert.Contains($"Redis 127.0.0.1:{primary.Port} has 2 connected replicas, more than NoteSync:Redis:MinReplicas=1: a failover can lose acknowledged pushes", node.Output, StringComparison.Ordinal);
        }

        // Act 2: the primary behind the sentinel turns AOF off; a node refuses it, naming it.
        await using (var admin = await primary.ConnectAsync())
        {
            await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("appendonly", "no");
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(settings));
        Assert.Contains($"127.0.0.1:{primary.Port}: appendonly is 'no'", refused.Message, StringComparison.Ordinal);
    }

    /// <remarks>The same failover under write load, with the checker, is <c>JepsenTests.NoAcknowledgedWriteIsLostThroughSentinelFailovers</c>.</remarks>
    [Fact]
    public async Task NodesFollowTheNewPrimaryWhichRenamesTheHistoryAndDropsLiveDevices()
    {
        // Arrange: two nodes; the head check is slowed to a minute, so live delivery after the
        // failover can only come from the doorbell's pub/sub on the new primary.
        var settings = NodeSettings(headCheckMs: 60_000);
        var starting = new[] { ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];
        await using var writer = await WsDevice.ConnectAsync(nodeA, "ws-writer");
        await using var listener = await HubDevice.ConnectAsync(nodeB, "listener", messagePack: false);
        await listener.PullAsync();
        await RetryUntilAckedAsync(() => writer.PutAsync("note:before-failover", "through the old primary"));
        await listener.WaitForValueAsync("note:before-failover", "through the old primary", TimeSpan.FromSeconds(10));
        var primaryBefore = await _cluster.PrimaryPortAsync();

        // Act
        var primaryAfter = await _cluster.FailoverAsync();

        // Assert: the failover really happened, to the other data node. The first write on the new
        // primary renames the space's history (the server cannot tell that this promotion lost
        // nothing), so node B drops the listener's connection rather than feed it the new history
        // from its old cursor; a listener connecting now gets both notes; a hub reader (backplane on
        // the new primary) reads both notes.
        Assert.NotEqual(primaryBefore, primaryAfter);
        Assert.Contains(_cluster.Servers, s => s.Port == primaryAfter);
        await RetryUntilAckedAsync(async () =>
        {
            // A connection of its own for each attempt: one applied on the new primary but answered
            // unavailable (no replica yet) renames the history, and node A then aborts the writer's
            // connection, which is above it (docs/protocol.md §3.4), before the next attempt.
            await using var writerAfter = await WsDevice.ConnectAsync(nodeA, "ws-writer");
            return await writerAfter.PutAsync("note:after-failover", "through the new primary");
        });
        await ClientKit.WaitUntilAsync(() => listener.Connection.State == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Disconnected, "the listener's connection to be dropped", TimeSpan.FromSeconds(10));
        await using var again = await HubDevice.ConnectAsync(nodeB, "listener", messagePack: false);
        await RetryUntilAckedAsync(again.PullAsync);
        Assert.Equal("through the new primary", again.ValueOf("note:after-failover"));
        await using var reader = await HubDevice.ConnectAsync(nodeB, "reader", messagePack: true);
        await RetryUntilAckedAsync(reader.PullAsync);
        Assert.Equal("through the old primary", reader.ValueOf("note:before-failover"));
        Assert.Equal("through the new primary", reader.ValueOf("note:after-failover"));
        output.WriteLine($"primary {primaryBefore} -> {primaryAfter}");
    }

    /// <summary>The three notes the laptop writes while the replica is cut off, acked and synced.</summary>
    private static async Task WriteTheNotesToLoseAsync(NoteSync.Client.NoteSyncClient laptop)
    {
        for (var i = 0; i < 3; i++)
        {
            await laptop.PutAsync($"during/{i}.md", "acked, then lost by the store");
        }

        await laptop.SyncBoundedAsync();
    }

    /// <summary>Waits until the store and every client hold the notes written before, during and after the lossy failover.</summary>
    private static async Task EveryoneHoldsEverythingAsync(ITestServer node, params NoteSync.Client.NoteSyncClient[] clients)
    {
        var everything = new Dictionary<string, string>
        {
            ["note:before.md"] = "replicated",
            ["note:during/0.md"] = "acked, then lost by the store",
            ["note:during/1.md"] = "acked, then lost by the store",
            ["note:during/2.md"] = "acked, then lost by the store",
            ["note:after.md"] = "written after the failover",
        };
        await ServerNotes.WaitForAsync(node, everything, TimeSpan.FromSeconds(60));
        foreach (var client in clients)
        {
            await ClientKit.WaitUntilAsync(() => everything.All(e => client.Get(e.Key["note:".Length..]) == e.Value), "every note on every device", TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// A failover that loses acknowledged writes: <see cref="FailOverWhileTheReplicaMissesAsync"/>, then
    /// fails if the new primary holds <paramref name="lostKey"/> (then the test would show nothing).
    /// </summary>
    private async Task LoseWhatIsWrittenDuringAsync(Func<Task> write, string lostKey)
    {
        var promoted = await FailOverWhileTheReplicaMissesAsync(write);
        await using var connection = await promoted.ConnectAsync();
        Assert.False(await connection.GetDatabase().HashExistsAsync(RedisKeys.For("default")[1], lostKey), "the failover lost nothing: the test shows nothing");
    }

    /// <summary>
    /// The replica is paused and cut off while <paramref name="write"/> runs, then the primary is killed
    /// and the replica, which never got those writes, promoted. Returns the new primary.
    /// </summary>
    private async Task<RedisServer> FailOverWhileTheReplicaMissesAsync(Func<Task> write)
    {
        await _cluster.WaitUntilReplicatedAsync();
        var replica = await _cluster.ReplicaAsync();
        replica.Pause();
        try
        {
            await _cluster.CutReplicationAsync();
            await write();
            var crashed = await _cluster.CrashPrimaryAsync();
            replica.Resume();
            Assert.Equal(replica.Port, await _cluster.WaitForNewPrimaryAsync(crashed));
        }
        finally
        {
            replica.Resume();
        }

        return replica;
    }

    private Dictionary<string, string> NodeSettings(int headCheckMs) => new()
    {
        ["NoteSync__Store"] = "redis",
        ["NoteSync__Redis"] = _cluster.ConnectionString,
        ["NoteSync__Redis__MinReplicas"] = "1",
        ["NoteSync__Redis__ReplicaWaitTimeoutMs"] = "500",
        ["NoteSync__Sync__HeadCheckIntervalMs"] = headCheckMs.ToString(CultureInfo.InvariantCulture),
    };

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
            catch (Exception ex) when (ex is InvalidOperationException or HubException or System.Net.WebSockets.WebSocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
