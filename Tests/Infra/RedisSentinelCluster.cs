using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A real Sentinel-managed Redis: a primary and one replica or more (<see cref="RedisServer"/>s: AOF,
/// <c>appendfsync always</c>, <c>noeviction</c>) and one sentinel (<c>redis-server &lt;conf&gt; --sentinel</c>,
/// so no separate <c>redis-sentinel</c> package is needed), each on a free loopback port in its own
/// temp directory. <see cref="StartAsync"/> returns once the sentinel knows a replica as a failover
/// candidate; <see cref="FailoverAsync"/> forces <c>SENTINEL FAILOVER</c> and waits for the promoted
/// primary. Failover timings are small (<c>down-after-milliseconds</c> 1500, <c>failover-timeout</c> 5000)
/// so tests stay fast. A missing <c>redis-server</c> fails, never skips.
/// </summary>
public sealed class RedisSentinelCluster : IAsyncDisposable
{
    public const string ServiceName = "notesync";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<RedisServer> _servers = [];
    private readonly TempDirectory _sentinelDirectory = new();
    private readonly StringBuilder _sentinelOutput = new();
    private Process? _sentinel;
    private ConnectionMultiplexer? _sentinelConnection;

    private RedisSentinelCluster()
    {
    }

    /// <summary>The sentinel's port.</summary>
    public int SentinelPort { get; private set; }

    /// <summary>The connection string a node is given: the sentinel and the service name.</summary>
    public string ConnectionString => $"127.0.0.1:{SentinelPort},serviceName={ServiceName}";

    /// <summary>The data nodes, in start order (the first starts as primary).</summary>
    public IReadOnlyList<RedisServer> Servers => _servers;

    /// <param name="replicas">
    /// How many replicas follow the primary. With one, a <c>SENTINEL FAILOVER</c> leaves the new primary
    /// without a replica until the sentinel's next poll of the old one (every 10 s) makes it follow; with
    /// two, the other replica follows the new primary during the failover.
    /// </param>
    public static async Task<RedisSentinelCluster> StartAsync(int replicas = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        var cluster = new RedisSentinelCluster();
        try
        {
            await cluster.LaunchAsync(replicas);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port of the primary according to the sentinel.</summary>
    public async Task<int> PrimaryPortAsync()
    {
        var address = await SentinelServer().SentinelGetMasterAddressByNameAsync(ServiceName)
            ?? throw new InvalidOperationException($"the sentinel does not know service {ServiceName}");
        return ((IPEndPoint)address).Port;
    }

    /// <summary>The data node that is primary according to the sentinel.</summary>
    public async Task<RedisServer> PrimaryAsync()
    {
        var port = await PrimaryPortAsync();
        return _servers.Single(s => s.Port == port);
    }

    /// <summary>The data node that is not the primary according to the sentinel (a cluster of one replica).</summary>
    public async Task<RedisServer> ReplicaAsync()
    {
        var port = await PrimaryPortAsync();
        return _servers.Single(s => s.Port != port);
    }

    /// <summary>
    /// <c>SENTINEL FAILOVER</c>, then waits until the sentinel names the other node and that node says
    /// it is a master. Returns the new primary's port. Does not wait for the old primary to follow it
    /// (see <see cref="WaitUntilReplicatedAsync"/>).
    /// </summary>
    public async Task<int> FailoverAsync()
    {
        var before = await PrimaryPortAsync();
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try
            {
                await SentinelServer().SentinelFailoverAsync(ServiceName);
                break;
            }
            catch (RedisServerException ex) when (DateTime.UtcNow < deadline)
            {
                // -INPROG or -NOGOODSLAVE: the sentinel is not ready to fail over yet; ask again.
                _ = ex;
                await Task.Delay(200);
            }
        }

        return await WaitForNewPrimaryAsync(before);
    }

    /// <summary>
    /// Closes the primary's replication links (<c>CLIENT KILL TYPE replica</c>). With the replica paused
    /// (SIGSTOP) it cannot reconnect, so it misses every write from now on; pausing alone is not enough,
    /// since the kernel keeps buffering the replication stream into a stopped process's socket.
    /// </summary>
    public async Task CutReplicationAsync()
    {
        var port = await PrimaryPortAsync();
        await using var connection = await ConnectAsync(port);
        await connection.GetServer(IPAddress.Loopback, port).ExecuteAsync("CLIENT", "KILL", "TYPE", "replica");
    }

    /// <summary>
    /// SIGKILLs the primary's process (its id read from <c>INFO server</c>; the cluster started it), as a
    /// machine failure. Returns its port. The sentinel fails over once it sees it down (about 1.5 s).
    /// </summary>
    public async Task<int> CrashPrimaryAsync()
    {
        var port = await PrimaryPortAsync();
        int processId;
        await using (var connection = await ConnectAsync(port))
        {
            var info = await connection.GetServer(IPAddress.Loopback, port).InfoAsync("server");
            processId = int.Parse(info.SelectMany(g => g).Single(p => p.Key == "process_id").Value, CultureInfo.InvariantCulture);
        }

        using var process = Process.GetProcessById(processId);
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return port;
    }

    /// <summary>Waits until the sentinel names a primary other than <paramref name="oldPort"/> and that node says it is a master.</summary>
    public async Task<int> WaitForNewPrimaryAsync(int oldPort)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var now = await PrimaryPortAsync();
            if (now != oldPort && await RoleOfAsync(now) == "master")
            {
                return now;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no failover from port {oldPort} within {Timeout}:\n{SentinelOutput}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until the primary has a connected, online replica and the sentinel sees it as a healthy
    /// failover candidate (flags just <c>slave</c>, master link ok).
    /// </summary>
    public async Task WaitUntilReplicatedAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var primary = await PrimaryPortAsync();
            if (await OnlineReplicasAsync(primary) > 0 && await SentinelSeesHealthyReplicaAsync())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the replica did not come up within {Timeout}:\n{SentinelOutput}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_sentinelConnection is not null)
        {
            await _sentinelConnection.DisposeAsync();
        }

        if (_sentinel is { HasExited: false } sentinel)
        {
            sentinel.Kill(entireProcessTree: true);
            await sentinel.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _sentinel?.Dispose();
        foreach (var server in _servers)
        {
            // Continues a paused process first, then kills it.
            await server.DisposeAsync();
        }

        _sentinelDirectory.Dispose();
    }

    private async Task LaunchAsync(int replicas)
    {
        // Redis 7 waits 5 s before a diskless full sync, for more replicas to join it: not here.
        var primary = await RedisServer.StartAsync(appendOnly: true, "--repl-diskless-sync-delay", "0");
        _servers.Add(primary);

        // The sentinel learns replicas from the primary's INFO, polled every 10 s: start it only once
        // every replica is online, so its first INFO already lists them.
        for (var i = 0; i < replicas; i++)
        {
            await StartReplicaOfAsync(primary);
        }

        var deadline = DateTime.UtcNow + Timeout;
        SentinelPort = RedisServer.FreePort();
        var config = Path.Combine(_sentinelDirectory.Path, "sentinel.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"port {SentinelPort}",
            "bind 127.0.0.1",
            "daemonize no",
            $"dir {_sentinelDirectory.Path}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {primary.Port} 1",
            $"sentinel down-after-milliseconds {ServiceName} 1500",
            $"sentinel failover-timeout {ServiceName} 5000",
            $"sentinel parallel-syncs {ServiceName} 1",
            "sentinel resolve-hostnames no",
            "sentinel announce-hostnames no",
            ""));

        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { config, "--sentinel" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _sentinelDirectory.Path,
        };
        try
        {
            _sentinel = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                "redis-server is not installed (or not on PATH); the Sentinel tests run it with --sentinel. Run ./test.sh, which installs it, or: sudo apt-get install -y redis-server",
                ex);
        }

        _sentinel.OutputDataReceived += (_, e) => AppendSentinelOutput(e.Data);
        _sentinel.ErrorDataReceived += (_, e) => AppendSentinelOutput(e.Data);
        _sentinel.BeginOutputReadLine();
        _sentinel.BeginErrorReadLine();

        while (true)
        {
            if (_sentinel.HasExited)
            {
                throw new InvalidOperationException($"redis-server --sentinel exited during start-up:\n{SentinelOutput}");
            }

            try
            {
                _sentinelConnection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
                {
                    EndPoints = { { IPAddress.Loopback, SentinelPort } },
                    CommandMap = CommandMap.Sentinel,
                    AllowAdmin = true,
                    ConnectTimeout = 2000,
                    AbortOnConnectFail = true,
                });
                break;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        await WaitUntilReplicatedAsync();
    }

    /// <summary>
    /// Starts one more replica of the primary and waits until the primary counts it online. The sentinel
    /// learns of it on its next poll of the primary (within 10 s).
    /// </summary>
    public async Task<RedisServer> AddReplicaAsync() => await StartReplicaOfAsync(await PrimaryAsync());

    private async Task<RedisServer> StartReplicaOfAsync(RedisServer primary)
    {
        var online = await OnlineReplicasAsync(primary.Port);
        var replica = await RedisServer.StartAsync(
            appendOnly: true, "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture));
        _servers.Add(replica);
        var deadline = DateTime.UtcNow + Timeout;
        while (await OnlineReplicasAsync(primary.Port) <= online)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the replica on port {replica.Port} did not sync with the primary on port {primary.Port} within {Timeout}");
            }

            await Task.Delay(50);
        }

        return replica;
    }

    private IServer SentinelServer() => _sentinelConnection!.GetServer(IPAddress.Loopback, SentinelPort);

    private async Task<bool> SentinelSeesHealthyReplicaAsync()
    {
        foreach (var replica in await SentinelServer().SentinelReplicasAsync(ServiceName))
        {
            var fields = replica.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (fields.GetValueOrDefault("flags") == "slave" && fields.GetValueOrDefault("master-link-status") == "ok")
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<int> OnlineReplicasAsync(int port)
    {
        try
        {
            await using var connection = await ConnectAsync(port);
            var info = await connection.GetServer(IPAddress.Loopback, port).InfoAsync("replication");
            return info.SelectMany(g => g).Count(p => p.Key.StartsWith("slave", StringComparison.Ordinal) && p.Value.Contains("state=online", StringComparison.Ordinal));
        }
        catch (RedisException)
        {
            return 0;
        }
    }

    private static async Task<string?> RoleOfAsync(int port)
    {
        try
        {
            await using var connection = await ConnectAsync(port);
            var role = await connection.GetServer(IPAddress.Loopback, port).RoleAsync();
            return role.Value;
        }
        catch (RedisException)
        {
            return null;
        }
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(int port) => ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
    {
        EndPoints = { { IPAddress.Loopback, port } },
        AllowAdmin = true,
        ConnectTimeout = 2000,
        AbortOnConnectFail = true,
    });

    private string SentinelOutput
    {
        get
        {
            lock (_sentinelOutput)
            {
                return _sentinelOutput.ToString();
            }
        }
    }

    private void AppendSentinelOutput(string? line)
    {
        if (line is not null)
        {
            lock (_sentinelOutput)
            {
                _sentinelOutput.AppendLine(line);
            }
        }
    }
}
