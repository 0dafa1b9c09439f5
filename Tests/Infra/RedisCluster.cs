using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A real Redis Cluster on loopback: <c>primaries</c> primaries, each with a replica, every node a
/// <see cref="RedisServer"/> (AOF, <c>appendfsync always</c>) started with <c>--cluster-enabled yes</c> and
/// its bus on a free port of its own (<c>--cluster-port</c>), joined by <c>redis-cli --cluster create</c>,
/// which spreads the 16,384 slots evenly over the primaries. <see cref="StartAsync"/> returns once every
/// node says <c>cluster_state:ok</c> and every replica's link to its primary is up. Needs only the
/// <c>redis-server</c> package (it brings <c>redis-cli</c>). A missing one fails, never skips.
/// </summary>
public sealed partial class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<RedisServer> _servers = [];

    private RedisCluster()
    {
    }

    /// <summary>Every node, in start order: the first <c>primaries</c> were created as primaries.</summary>
    public IReadOnlyList<RedisServer> Servers => _servers;

    /// <summary>The connection string a NoteSync node is given: every node of the cluster.</summary>
    public string ConnectionString => string.Join(',', _servers.Select(s => s.ConnectionString));

    public static async Task<RedisCluster> StartAsync(int primaries = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(primaries, 3);
        var cluster = new RedisCluster();
        try
        {
            await cluster.LaunchAsync(primaries);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The port of the primary that holds <paramref name="key"/>'s slot, as <paramref name="askedPort"/>'s node
    /// (by default the first node running) sees it.
    /// </summary>
    public async Task<int> PrimaryPortOfAsync(string key, int? askedPort = null) =>
        (await PrimaryPortsOfAsync([key], askedPort))[key];

    /// <summary>
    /// The port of the primary that holds each key's slot, as <paramref name="askedPort"/>'s node (by default
    /// the first node running) sees it: one connection, one <c>CLUSTER NODES</c>, a <c>CLUSTER KEYSLOT</c> per key.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> PrimaryPortsOfAsync(IEnumerable<string> keys, int? askedPort = null)
    {
        var asked = _servers.First(s => askedPort is { } port ? s.Port == port : s.ProcessId != 0);
        await using var connection = await asked.ConnectAsync();
        var server = connection.GetServer(IPAddress.Loopback, asked.Port);
        var primaries = (await ClusterNodesAsync(server)).Where(n => n.IsPrimary).ToList();
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var slot = (int)(long)(await server.ExecuteAsync("CLUSTER", "KEYSLOT", key));
            ports[key] = primaries.FirstOrDefault(n => n.Slots.Exists(range => range.From <= slot && slot <= range.To))?.Port
                ?? throw new InvalidOperationException($"no primary holds slot {slot} of {key}");
        }

        return ports;
    }

    /// <summary>The replica of the primary on <paramref name="primaryPort"/> (each primary has one).</summary>
    /// <remarks>
    /// Asked of the primary itself (<c>ROLE</c> lists its linked replicas): another node learns of a replica
    /// by gossip, and one asked just after the cluster was ready had not yet (a clean run failed on it).
    /// </remarks>
    public async Task<RedisServer> ReplicaOfAsync(int primaryPort)
    {
        await using var connection = await _servers.Single(s => s.Port == primaryPort).ConnectAsync();
        var role = await connection.GetServer(IPAddress.Loopback, primaryPort).RoleAsync();
        var replica = (role as Role.Master)?.Replicas.Single()
            ?? throw new InvalidOperationException($"port {primaryPort} is a {role.Value}, not a primary");
        return _servers.Single(s => s.Port == replica.Port);
    }

    /// <summary>Waits until every node says <c>cluster_state:ok</c> and every primary's replica is linked to it.</summary>
    public Task WaitUntilHealthyAsync() => WaitUntilReadyAsync(_servers.Count / 2);

    /// <summary>
    /// <c>kill -9</c> of the primary holding <paramref name="key"/>'s slot, as a machine failure; waits until
    /// its replica is promoted (the cluster's node timeout, 2 s, then the election) and says it is a
    /// master, then starts the killed node again on its data directory, where it rejoins as a replica.
    /// Returns the old and the new primary's ports.
    /// </summary>
    public async Task<(int Before, int After)> FailPrimaryOfAsync(string key)
    {
        var before = await PrimaryPortOfAsync(key);
        var after = 0;
        var victim = _servers.Single(s => s.Port == before);
        await victim.RestartAfterAsync(async () =>
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                var survivor = _servers.First(s => s.ProcessId != 0).Port;
                after = await PrimaryPortOfAsync(key, survivor);
                if (after != before && await RoleOfAsync(after) == "master")
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"no replica of port {before} was promoted within {Timeout}");
                }

                await Task.Delay(100);
            }
        });
        return (before, after);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private async Task LaunchAsync(int primaries)
    {
        var starting = Enumerable.Range(0, primaries * 2).Select(_ => RedisServer.StartAsync(
            appendOnly: true,
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-port", RedisServer.AnyFreePort,
            "--cluster-node-timeout", "2000",
            // Redis 7 waits 5 s before a diskless full sync, for more replicas to join it: not here.
            "--repl-diskless-sync-delay", "0")).ToArray();
        try
        {
            _servers.AddRange(await Task.WhenAll(starting));
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        await CreateAsync();
        await WaitUntilReadyAsync(primaries);
    }

    private async Task CreateAsync()
    {
        var create = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        create.ArgumentList.Add("--cluster");
        create.ArgumentList.Add("create");
        foreach (var server in _servers)
        {
            create.ArgumentList.Add(server.ConnectionString);
        }

        create.ArgumentList.Add("--cluster-replicas");
        create.ArgumentList.Add("1");
        create.ArgumentList.Add("--cluster-yes");
        using var process = Process.Start(create)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create exited with {process.ExitCode}:\n{await output}\n{await errors}");
        }
    }

    private async Task WaitUntilReadyAsync(int primaries)
    {
        var deadline = DateTime.UtcNow + Timeout;
        var connections = await Task.WhenAll(_servers.Select(s => s.ConnectAsync()));
        try
        {
            while (true)
            {
                var states = await Task.WhenAll(_servers.Select((s, i) => NodeStateAsync(connections[i].GetServer(IPAddress.Loopback, s.Port))));
                if (states.All(s => s.Ok) && states.Count(s => s.Replica) == primaries && states.Where(s => s.Replica).All(s => s.LinkUp))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the cluster was not ready within {Timeout}: {string.Join("; ", states)}");
                }

                await Task.Delay(100);
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task<string> RoleOfAsync(int port)
    {
        await using var connection = await _servers.Single(s => s.Port == port).ConnectAsync();
        var role = await connection.GetServer(IPAddress.Loopback, port).RoleAsync();
        return role.Value;
    }

    private static async Task<NodeState> NodeStateAsync(IServer server)
    {
        var info = (string)(await server.ExecuteAsync("CLUSTER", "INFO"))!;
        var replication = (string)(await server.ExecuteAsync("INFO", "replication"))!;
        return new NodeState(
            server.EndPoint.ToString() ?? "",
            info.Contains("cluster_state:ok", StringComparison.Ordinal),
            replication.Contains("role:slave", StringComparison.Ordinal),
            replication.Contains("master_link_status:up", StringComparison.Ordinal));
    }

    // CLUSTER NODES: "<id> <ip:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slot> <slot>...".
    private static async Task<List<ClusterNode>> ClusterNodesAsync(IServer server)
    {
        var text = (string)(await server.ExecuteAsync("CLUSTER", "NODES"))!;
        var nodes = new List<ClusterNode>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ');
            var address = fields[1].Split('@')[0];
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            var slots = fields.Skip(8).Where(f => !f.StartsWith('[')).Select(f =>
            {
                var ends = f.Split('-');
                var from = int.Parse(ends[0], CultureInfo.InvariantCulture);
                return (From: from, To: ends.Length > 1 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : from);
            }).ToList();
            nodes.Add(new ClusterNode(port, fields[2].Contains("master", StringComparison.Ordinal), slots));
        }

        return nodes;
    }

    private sealed record NodeState(string EndPoint, bool Ok, bool Replica, bool LinkUp);

    private sealed record ClusterNode(int Port, bool IsPrimary, List<(int From, int To)> Slots);
}
