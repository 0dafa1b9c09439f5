using System.Globalization;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// Three server processes on one fresh redis-server (AOF, appendfsync always), on a Sentinel-managed
/// primary and replica, or on a Redis Cluster (<see cref="JepsenBackend"/>), each test its own, so
/// the single <c>default</c> space starts empty. Tracks which nodes a fault has taken down, so writers
/// reconnect to live ones; a node marked up may still be gone for a moment, which writers ride out.
/// </summary>
internal sealed class JepsenCluster : IAsyncDisposable
{
    public const int NodeCount = 3;

    private readonly bool[] _down = new bool[NodeCount];

    private readonly Dictionary<string, string> _settings;

    private readonly RedisServer? _redis;

    private readonly RedisSentinelCluster? _sentinel;

    private readonly RedisCluster? _shards;

    private JepsenCluster(RedisServer? redis, RedisSentinelCluster? sentinel, RedisCluster? shards, ServerProcess[] nodes, Dictionary<string, string> settings)
    {
        _redis = redis;
        _sentinel = sentinel;
        _shards = shards;
        Nodes = nodes;
        _settings = settings;
    }

    /// <summary>The one redis-server (not with <see cref="JepsenBackend.Sentinel"/>).</summary>
    public RedisServer Redis => _redis ?? throw new InvalidOperationException("this cluster runs on a Sentinel-managed primary and replica: use Sentinel");

    /// <summary>The primary, replica and sentinel (only with <see cref="JepsenBackend.Sentinel"/>).</summary>
    public RedisSentinelCluster Sentinel => _sentinel ?? throw new InvalidOperationException("this cluster does not run on Sentinel");

    /// <summary>The Redis Cluster (only with <see cref="JepsenBackend.Cluster"/>).</summary>
    public RedisCluster Shards => _shards ?? throw new InvalidOperationException("this cluster does not run on a Redis Cluster");

    public IReadOnlyList<ServerProcess> Nodes { get; }

    public static async Task<JepsenCluster> StartAsync(JepsenBackend backend)
    {
        RedisServer? redis = null;
        RedisSentinelCluster? sentinel = null;
        RedisCluster? shards = null;
        var settings = new Dictionary<string, string>
        {
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Sync__HeadCheckIntervalMs"] = "500",

            // Small pages, so every fresh device and the final reads follow `more`.
            ["NoteSync__Sync__MaxChangesPerAck"] = 100.ToString(CultureInfo.InvariantCulture),
        };
        ServerProcess[] nodes = [];
        Task<ServerProcess>[] starting = [];
        try
        {
            if (backend == JepsenBackend.Sentinel)
            {
                // One replica, as MinReplicas=1 requires: with two, this run lost about 120 acknowledged
                // writes in three failovers (docs/operations.md, Replication and failover).
                sentinel = await RedisSentinelCluster.StartAsync(replicas: 1);
                settings["NoteSync__Redis"] = sentinel.ConnectionString;
                settings["NoteSync__Redis__MinReplicas"] = "1";
                settings["NoteSync__Redis__ReplicaWaitTimeoutMs"] = "500";
            }
            else if (backend == JepsenBackend.Cluster)
            {
                // One replica per primary, MinReplicas 1: each shard as the Sentinel set above.
                shards = await RedisCluster.StartAsync();
                settings["NoteSync__Redis"] = shards.ConnectionString;
                settings["NoteSync__Redis__MinReplicas"] = "1";
                settings["NoteSync__Redis__ReplicaWaitTimeoutMs"] = "500";
            }
            else
            {
                redis = await RedisServer.StartAsync(appendOnly: backend == JepsenBackend.DurableRedis);
                settings["NoteSync__Redis"] = redis.ConnectionString;
                settings["NoteSync__Redis__AllowVolatile"] = backend == JepsenBackend.VolatileRedis ? "true" : "false";
            }

            starting = [.. Enumerable.Range(0, NodeCount).Select(_ => ServerProcess.StartAsync(settings))];
            nodes = await Task.WhenAll(starting);
            return new JepsenCluster(redis, sentinel, shards, nodes, settings);
        }
        catch
        {
            foreach (var node in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await node.Result.DisposeAsync();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }

            if (sentinel is not null)
            {
                await sentinel.DisposeAsync();
            }

            if (shards is not null)
            {
                await shards.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// One more node on the same store, started now: it has no memory of the run, so what it serves
    /// comes from the store alone, not from a window the other nodes kept in memory.
    /// </summary>
    public Task<ServerProcess> StartFreshNodeAsync() => ServerProcess.StartAsync(_settings);

    public bool IsUp(int node)
    {
        lock (_down)
        {
            return !_down[node];
        }
    }

    public void MarkDown(int node)
    {
        lock (_down)
        {
            _down[node] = true;
        }
    }

    public void MarkUp(int node)
    {
        lock (_down)
        {
            _down[node] = false;
        }
    }

    /// <summary>A node no fault holds down, chosen at random (any node when all are down).</summary>
    public int PickLiveNode(Random random)
    {
        int[] up;
        lock (_down)
        {
            up = [.. Enumerable.Range(0, NodeCount).Where(n => !_down[n])];
        }

        return up.Length == 0 ? random.Next(NodeCount) : up[random.Next(up.Length)];
    }

    public async ValueTask DisposeAsync()
    {
        // ServerProcess and RedisServer continue a stopped process before killing it.
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_sentinel is not null)
        {
            await _sentinel.DisposeAsync();
        }

        if (_shards is not null)
        {
            await _shards.DisposeAsync();
        }
    }
}
