using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// <c>NoteSync:Redis:MinReplicas</c> against a real primary and replica: an acknowledgement means a
/// replica holds what the answer was computed from, also for a push that changes nothing.
/// </summary>
public sealed class RedisReplicationTests
{
    private const string Space = "replication";

    // On the redis-server 7.0 that Debian ships, a WAIT after a command that wrote nothing waits for the
    // whole replication stream, so this passes there even without the script's write; Redis versions
    // that count only the client's own writes need it. The test holds the behaviour either way.
    [Fact]
    public async Task ReSentPushIsNotAcknowledgedUntilAReplicaHasIt()
    {
        // Arrange: a primary, a replica, and two nodes, each with its own connection (as two servers have).
        await using var primary = await RedisServer.StartAsync();
        await using var replica = await RedisServer.StartAsync(true, "--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture));
        await using var connectionA = await primary.ConnectAsync();
        await using var connectionB = await primary.ConnectAsync();
        await using var replicaConnection = await replica.ConnectAsync();
        await using var nodeA = new RedisSyncStore(connectionA, NullLogger.Instance, minReplicas: 1, replicaWaitTimeoutMs: 300);
        await using var nodeB = new RedisSyncStore(connectionB, NullLogger.Instance, minReplicas: 1, replicaWaitTimeoutMs: 300);
        await WaitUntilAcknowledgedAsync(nodeA, "note:warm-a");
        await WaitUntilAcknowledgedAsync(nodeB, "note:warm-b");
        KeyedWrite[] push = [new("note:p", new Write(10, "dev-a", "only on the primary"))];

        // Act 1: the replica stops (SIGSTOP; the primary still counts it as connected). Node A's push
        // reaches the primary but not the replica, so it is not acknowledged.
        replica.Pause();
        try
        {
            await Assert.ThrowsAsync<ReplicationUnconfirmedException>(() => nodeA.ApplyAsync(Space, push).DefaultTimeout());

            // Act 2: the device re-sends it through node B. It changes nothing on the primary, but its
            // answer would say the write is in: it must wait for a replica like any push.
            var resent = await Assert.ThrowsAsync<ReplicationUnconfirmedException>(() => nodeB.ApplyAsync(Space, push).DefaultTimeout());
            Assert.Contains("0 of 1 replicas", resent.Message, StringComparison.Ordinal);
        }
        finally
        {
            replica.Resume();
        }

        // Assert: once the replica is back, the re-send is acknowledged, and the replica has the write.
        await WaitUntilAcknowledgedAsync(nodeB, "note:p", push[0].Write);
        Assert.True(await replicaConnection.GetDatabase().HashExistsAsync(RedisKeys.For(Space)[1], "note:p"), "acknowledged, but the replica lacks it");
    }

    // A replica that just attached (or resumed) may take a moment to confirm: retry until it does.
    private static async Task WaitUntilAcknowledgedAsync(RedisSyncStore node, string key, Write? write = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await node.ApplyAsync(Space, [new KeyedWrite(key, write ?? new Write(1, "dev-warm", key))]).DefaultTimeout();
                return;
            }
            catch (ReplicationUnconfirmedException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
