using System.Globalization;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// Three server processes on one fresh redis-server (AOF, appendfsync always), each test its own, so
/// the single <c>default</c> space starts empty. Tracks which nodes a fault has taken down, so writers
/// reconnect to live ones; a node marked up may still be gone for a moment, which writers ride out.
/// </summary>
internal sealed class JepsenCluster : IAsyncDisposable
{
    public const int NodeCount = 3;

    private readonly bool[] _down = new bool[NodeCount];

    private readonly Dictionary<string, string> _settings;

    private JepsenCluster(RedisServer redis, ServerProcess[] nodes, Dictionary<string, string> settings)
    {
        Redis = redis;
        Nodes = nodes;
        _settings = settings;
    }

    public RedisServer Redis { get; }

    public IReadOnlyList<ServerProcess> Nodes { get; }

    /// <summary>
    /// Starts the service; with <paramref name="durableRedis"/> false, on a Redis without persistence that
    /// the nodes are told to accept: a service that loses acknowledged writes, for proving the checker.
    /// </summary>
    public static async Task<JepsenCluster> StartAsync(bool durableRedis = true)
    {
        var redis = await RedisServer.StartAsync(appendOnly: durableRedis);
        var settings = new Dictionary<string, string>
        {
            ["NoteSync__Redis__AllowVolatile"] = durableRedis ? "false" : "true",
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Redis"] = redis.ConnectionString,
            ["NoteSync__Sync__HeadCheckIntervalMs"] = "500",

            // Small pages, so every fresh device and the final reads follow `more`.
            ["NoteSync__Sync__MaxChangesPerAck"] = 100.ToString(CultureInfo.InvariantCulture),
        };
        var starting = Enumerable.Range(0, NodeCount).Select(_ => ServerProcess.StartAsync(settings)).ToArray();
        try
        {
            return new JepsenCluster(redis, await Task.WhenAll(starting), settings);
        }
        catch
        {
            foreach (var node in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await node.Result.DisposeAsync();
            }

            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One more node on the same Redis, started now: it has no memory of the run, so what it serves
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

        await Redis.DisposeAsync();
    }
}
