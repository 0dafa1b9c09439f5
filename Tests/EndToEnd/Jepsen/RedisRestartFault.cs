namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// redis-server stopped, down for a while, then started on the same AOF and port: by <c>kill -9</c>
/// (a crash), or by SIGTERM (a planned restart: Redis refuses new commands, flushes the AOF and exits,
/// so in-flight commands get an orderly end).
/// </summary>
internal sealed class RedisRestartFault(bool graceful) : IFault
{
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(1);

    public string Name => graceful ? "graceful restart of redis-server" : "kill -9 of redis-server";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        var start = history.Now;
        var before = cluster.Redis.ProcessId;
        if (graceful)
        {
            await cluster.Redis.RestartGracefullyAsync(Downtime);
        }
        else
        {
            await cluster.Redis.RestartAsync(Downtime);
        }

        var after = cluster.Redis.ProcessId;
        if (after == before || after == 0)
        {
            throw new InvalidOperationException($"redis-server was not replaced ({Name}): pid {before} -> {after}");
        }

        history.AddFault(new FaultEvent(graceful ? "SIGTERM + start redis-server" : "kill -9 redis-server", start, history.Now, $"pid {before} -> {after}"));
    }
}
