namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// A planned Redis restart: SIGTERM (Redis refuses new commands, flushes the AOF and exits), then a new
/// process on the same AOF and port. Unlike the kill -9, in-flight commands get an orderly end.
/// </summary>
internal sealed class RedisGracefulRestartFault : IFault
{
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(1);

    public string Name => "graceful restart of redis-server";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        var start = history.Now;
        var before = cluster.Redis.ProcessId;
        await cluster.Redis.RestartGracefullyAsync(Downtime);
        var after = cluster.Redis.ProcessId;
        if (after == before || after == 0)
        {
            throw new InvalidOperationException($"redis-server was not restarted: pid {before} -> {after}");
        }

        history.AddFault(new FaultEvent("SIGTERM + start redis-server", start, history.Now, $"pid {before} -> {after}"));
    }
}
