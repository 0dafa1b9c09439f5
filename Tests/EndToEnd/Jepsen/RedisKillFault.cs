namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary><c>kill -9</c> of redis-server, down for a while, then started on the same AOF and port.</summary>
internal sealed class RedisKillFault : IFault
{
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(1);

    public string Name => "kill -9 of redis-server";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        var start = history.Now;
        var before = cluster.Redis.ProcessId;
        await cluster.Redis.RestartAsync(Downtime);
        var after = cluster.Redis.ProcessId;
        if (after == before || after == 0)
        {
            throw new InvalidOperationException($"redis-server was not replaced by the kill -9: pid {before} -> {after}");
        }

        history.AddFault(new FaultEvent("kill -9 redis-server", start, history.Now, $"pid {before} -> {after}"));
    }
}
