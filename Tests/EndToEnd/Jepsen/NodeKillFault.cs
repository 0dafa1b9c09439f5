namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary><c>kill -9</c> of a random node, down for a while, then started again on the same port and data directory.</summary>
internal sealed class NodeKillFault : IFault
{
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(1);

    public string Name => "kill -9 of a node";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        var node = random.Next(JepsenCluster.NodeCount);
        var server = cluster.Nodes[node];
        var start = history.Now;
        var before = server.ProcessId;
        cluster.MarkDown(node);
        server.Kill();
        await Task.Delay(Downtime);
        await server.RestartAsync();
        cluster.MarkUp(node);
        var after = server.ProcessId;
        if (after == before || after == 0)
        {
            throw new InvalidOperationException($"node {node} was not replaced by the kill -9: pid {before} -> {after}");
        }

        history.AddFault(new FaultEvent($"kill -9 node {node}", start, history.Now, $"pid {before} -> {after}"));
    }
}
