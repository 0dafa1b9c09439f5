using NoteSync.Server.Stores.Redis;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// <c>kill -9</c> of the Redis Cluster primary that holds the run's space; the cluster promotes its replica
/// (no sentinel: the shard's own failover), then the killed node comes back as the new primary's replica.
/// </summary>
internal sealed class ShardFailoverFault : IFault
{
    // The run's one space; every key of it is in this key's slot.
    private static readonly string SpaceKey = RedisKeys.For("default")[0].ToString();

    public string Name => "kill -9 of a shard's primary";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        // A shard whose replica is not linked has no candidate to promote: after the previous round the
        // killed node must first have come back and synced.
        await cluster.Shards.WaitUntilHealthyAsync();
        var start = history.Now;
        var (before, after) = await cluster.Shards.FailPrimaryOfAsync(SpaceKey);
        history.AddFault(new FaultEvent("kill -9 shard primary", start, history.Now, $"primary port {before} -> {after}"));
    }
}
