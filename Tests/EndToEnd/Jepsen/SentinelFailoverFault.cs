namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary><c>SENTINEL FAILOVER</c>: the replica becomes the primary and the old primary follows it.</summary>
internal sealed class SentinelFailoverFault : IFault
{
    public string Name => "SENTINEL FAILOVER";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        // The sentinel refuses a failover without an in-sync replica: after the previous round the old
        // primary must first have followed the new one.
        await cluster.Sentinel.WaitUntilReplicatedAsync();
        var start = history.Now;
        var before = await cluster.Sentinel.PrimaryPortAsync();
        var after = await cluster.Sentinel.FailoverAsync();
        if (after == before)
        {
            throw new InvalidOperationException($"the primary did not move: port {before} before and after SENTINEL FAILOVER");
        }

        history.AddFault(new FaultEvent("SENTINEL FAILOVER", start, history.Now, $"primary port {before} -> {after}"));
    }
}
