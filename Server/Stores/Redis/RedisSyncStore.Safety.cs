using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

// The start-up check (docs/operations.md): a NoteSync node must not ack pushes into a Redis
// that could drop them.
internal sealed partial class RedisSyncStore
{
    /// <summary>The setting that lets a node start on a Redis that could lose acknowledged writes.</summary>
    public const string AllowVolatileSetting = "NoteSync:Redis:AllowVolatile";

    /// <summary>
    /// Checks every connected primary of <paramref name="redis"/>: AOF must be on (<c>appendonly yes</c>),
    /// or a restart loses everything since the last snapshot; the eviction policy must be
    /// <c>noeviction</c>, or Redis may delete entries and clocks under memory pressure. Throws
    /// <see cref="InvalidOperationException"/> naming <see cref="AllowVolatileSetting"/> when one is not,
    /// unless <paramref name="allowVolatile"/>, which logs a warning instead. A Redis that hides
    /// CONFIG (some managed services) cannot be checked, so it is refused the same way. Through Sentinel
    /// the connection's primary is the one the sentinels name, so that is the one checked.
    /// <para>
    /// With <paramref name="minReplicas"/> above 0 it also reads <c>INFO replication</c> and logs a
    /// warning (never refuses) when a primary has fewer connected replicas: they may attach later, and
    /// until they do, pushes are answered <c>unavailable</c> rather than acknowledged. It warns too when
    /// the primary has more: a failover promotes one replica while the old primary may still take writes
    /// that another, not yet moved, confirms; those are acknowledged and then lost (docs/operations.md,
    /// Replication and failover).
    /// </para>
    /// </summary>
    public static void CheckDurability(IConnectionMultiplexer redis, bool allowVolatile, ILogger logger, int minReplicas = 0)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(logger);
        var problems = new List<string>();
        foreach (var server in redis.GetServers())
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            var endpoint = server.EndPoint.ToString() ?? "redis";
            string? reason;
            try
            {
                var appendOnly = ConfigValue(server, "appendonly");
                var policy = ConfigValue(server, "maxmemory-policy");
                reason = (appendOnly, policy) switch
                {
                    (not "yes", _) => $"appendonly is '{appendOnly}': a Redis restart would lose acknowledged pushes",
                    (_, not "noeviction") => $"maxmemory-policy is '{policy}': Redis could evict notes and clocks",
                    _ => null,
                };

                var fsync = ConfigValue(server, "appendfsync");
                if (reason is null && fsync != "always")
                {
                    Log.FsyncNotAlways(logger, endpoint, fsync ?? "(unknown)");
                }

                if (minReplicas > 0)
                {
                    WarnOfReplicaCount(logger, endpoint, ConnectedReplicas(server), minReplicas);
                }
            }
            catch (RedisException ex)
            {
                reason = $"its persistence settings could not be read (CONFIG GET: {ex.Message})";
            }

            if (reason is null)
            {
                continue;
            }

            if (allowVolatile)
            {
                Log.VolatileAllowed(logger, endpoint, reason);
            }
            else
            {
                problems.Add($"{endpoint}: {reason}");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"NoteSync:Store=redis refuses a Redis that could lose acknowledged writes ({string.Join("; ", problems)}). " +
                $"Run Redis with 'appendonly yes', 'appendfsync always' and 'maxmemory-policy noeviction', " +
                $"or set {AllowVolatileSetting}=true to start anyway (tests, caches you can lose).");
        }
    }

    private static void WarnOfReplicaCount(ILogger logger, string endpoint, int connected, int minReplicas)
    {
        if (connected < minReplicas)
        {
            Log.TooFewReplicas(logger, endpoint, connected, minReplicas);
        }
        else if (connected > minReplicas)
        {
            Log.MoreReplicasThanConfirm(logger, endpoint, connected, minReplicas);
        }
    }

    private static int ConnectedReplicas(IServer server)
    {
        foreach (var group in server.Info("replication"))
        {
            foreach (var pair in group)
            {
                if (pair.Key == "connected_slaves" && int.TryParse(pair.Value, System.Globalization.CultureInfo.InvariantCulture, out var count))
                {
                    return count;
                }
            }
        }

        return 0;
    }

    private static string? ConfigValue(IServer server, string name)
    {
        foreach (var pair in server.ConfigGet(name))
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value;
            }
        }

        return null;
    }
}
