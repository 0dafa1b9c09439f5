using System.Net;
using StackExchange.Redis;

namespace NoteSync.Tests.Infra;

// Moving a slot from one primary to another while it is in use, as `redis-cli --cluster reshard` does
// for each slot it moves.
public sealed partial class RedisCluster
{
    /// <summary>
    /// Moves the slot of <paramref name="key"/> to another primary: the target imports it, the source
    /// migrates it, its keys go over one at a time (<paramref name="pause"/> between two, so commands
    /// meet the slot half moved), then every primary is told the slot's new owner. Waits until every node
    /// running says so. Returns the old and the new primary's ports.
    /// </summary>
    public async Task<(int From, int To)> MoveSlotOfAsync(string key, TimeSpan pause)
    {
        var from = await PrimaryPortOfAsync(key);
        var primaryPorts = new List<int>();
        foreach (var running in _servers.Where(s => s.ProcessId != 0))
        {
            if (await RoleOfAsync(running.Port) == "master")
            {
                primaryPorts.Add(running.Port);
            }
        }

        var to = primaryPorts.First(p => p != from);
        await using var source = await _servers.Single(s => s.Port == from).ConnectAsync();
        await using var target = await _servers.Single(s => s.Port == to).ConnectAsync();
        var sourceServer = source.GetServer(IPAddress.Loopback, from);
        var targetServer = target.GetServer(IPAddress.Loopback, to);
        var slot = (long)await sourceServer.ExecuteAsync("CLUSTER", "KEYSLOT", key);
        var sourceId = (string)(await sourceServer.ExecuteAsync("CLUSTER", "MYID"))!;
        var targetId = (string)(await targetServer.ExecuteAsync("CLUSTER", "MYID"))!;

        await targetServer.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await sourceServer.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        while (true)
        {
            var keys = (RedisResult[])(await sourceServer.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", slot, 1))!;
            if (keys.Length == 0)
            {
                break;
            }

            await sourceServer.ExecuteAsync("MIGRATE", "127.0.0.1", to, "", 0, 5000, "KEYS", (string)keys[0]!);
            await Task.Delay(pause);
        }

        await targetServer.ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);
        await sourceServer.ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);

        var deadline = DateTime.UtcNow + Timeout;
        foreach (var running in _servers.Where(s => s.ProcessId != 0))
        {
            while (await PrimaryPortOfAsync(key, running.Port) != to)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"node {running.Port} did not learn that slot {slot} moved to {to} within {Timeout}");
                }

                await Task.Delay(50);
            }
        }

        return (from, to);
    }
}
