using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Spaces are apart: randomized reads and writes from devices of several spaces, on
/// all three transports, with the same device ids and the same keys in every space, never show one
/// space's writes to another, and each space ends holding exactly what was written in it.
/// <c>NOTESYNC_ISOLATION_ATTEMPTS</c> sets the attempts per store (default 10,000: about 9 s per store on
/// the 2-core machine); <c>NOTESYNC_ISOLATION_SEED</c> replays a run (the seed is in every failure message).
/// </summary>
public sealed class SpaceIsolationTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const int SpaceCount = 4;
    private const int KeyCount = 40;
    private static readonly string[] DeviceIds = ["ws", "hub-json", "hub-msgpack", "http"];

    private static int Attempts => int.TryParse(Environment.GetEnvironmentVariable("NOTESYNC_ISOLATION_ATTEMPTS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 10_000;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task RandomizedCrossSpaceTrafficNeverLeaksBetweenSpaces(string store)
    {
        // Arrange: SpaceCount spaces, each with one device per transport, all with the same device ids.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("NOTESYNC_ISOLATION_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var settings = TestTokens.Settings();
        if (store == "redis")
        {
            settings["NoteSync__Store"] = "redis";
            settings["NoteSync__Redis"] = redis.Server.ConnectionString;
        }

        await using var server = await InProcessServer.StartAsync(settings);
        var run = Guid.NewGuid().ToString("N")[..8];
        var spaces = Enumerable.Range(0, SpaceCount).Select(i => new Space($"iso-{run}-{i}")).ToArray();
        var leaks = new List<string>();
        foreach (var space in spaces)
        {
            space.Devices.AddRange(await ConnectAllAsync(server, space, leaks));
        }

        var stopwatch = Stopwatch.StartNew();
        try
        {
            // Act: every device runs its share of random attempts at once: writes, deletes, pulls, and
            // frames that name another space (an unknown field, which must not matter).
            var loops = spaces.SelectMany((space, si) => space.Devices.Select((device, di) =>
                RunAttemptsAsync(space, device, spaces[(si + 1) % SpaceCount].Name, Attempts / (SpaceCount * DeviceIds.Length), new Random(seed + (si * 31) + di))));
            await Task.WhenAll(loops);
            foreach (var device in spaces.SelectMany(sp => sp.Devices))
            {
                await device.PullAsync();
            }

            // Assert: no device ever received another space's write; fresh devices of each space, one
            // per transport, read exactly what was written in it.
            var context = $"store {store}, seed {seed}, {Attempts} attempts, {stopwatch.Elapsed.TotalSeconds:F1} s";
            Assert.True(leaks.Count == 0, $"{leaks.Count} leaks ({context}): {string.Join("; ", leaks.Take(5))}");
            foreach (var space in spaces)
            {
                var expected = space.ExpectedSnapshot();
                Assert.True(space.Writes > 0, $"space {space.Name} saw no write ({context})");
                foreach (var device in space.Devices)
                {
                    Assert.All(device.Snapshot().Values, v => Assert.StartsWith($"{space.Name}|", v, StringComparison.Ordinal));
                }

                await using var ws = await WsDevice.ConnectAsync(server, "final-ws", token: TestTokens.Mint(space.Name));
                await using var hub = await HubDevice.ConnectAsync(server, "final-hub", messagePack: true, TestTokens.Mint(space.Name));
                await using var http = HttpDevice.Create(server, "final-http", TestTokens.Mint(space.Name));
                foreach (var reader in new TestDevice[] { ws, hub, http })
                {
                    await reader.PullAsync();
                    Assert.True(Same(expected, reader.Snapshot()), $"{reader.DeviceId} of {space.Name} read {reader.Snapshot().Count} notes, {expected.Count} written ({context})");
                }
            }
        }
        finally
        {
            foreach (var device in spaces.SelectMany(sp => sp.Devices))
            {
                await device.DisposeAsync();
            }
        }
    }

    private static async Task RunAttemptsAsync(Space space, TestDevice device, string otherSpace, int attempts, Random random)
    {
        await device.PullAsync();
        for (var i = 0; i < attempts; i++)
        {
            var roll = random.Next(100);
            if (roll < 15)
            {
                await device.PullAsync();
                continue;
            }

            var change = new Change
            {
                Key = $"note:k{random.Next(KeyCount)}",
                Value = roll < 25 ? null : $"{space.Name}|{device.DeviceId}|{i}",
                Timestamp = device.Clock.Tick(),
                DeviceId = device.DeviceId,
            };
            space.Record(change);
            if (roll < 35 && device is WsDevice ws)
            {
                // A push that names another space in the frame: ignored as an unknown field.
                var push = ws.NewPush(change);
                var json = JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush).Insert(1, $"\"space\":\"{otherSpace}\",");
                Assert.IsType<SyncAck>(await ws.SendAndWaitAsync(json, push.RequestId!));
                continue;
            }

            await device.PushAsync(device.NewPush(change));
        }
    }

    private static async Task<List<TestDevice>> ConnectAllAsync(InProcessServer server, Space space, List<string> leaks)
    {
        var devices = new List<TestDevice>
        {
            await WsDevice.ConnectAsync(server, DeviceIds[0], token: TestTokens.Mint(space.Name, DeviceIds[0])),
            await HubDevice.ConnectAsync(server, DeviceIds[1], messagePack: false, TestTokens.Mint(space.Name, DeviceIds[1])),
            await HubDevice.ConnectAsync(server, DeviceIds[2], messagePack: true, TestTokens.Mint(space.Name, DeviceIds[2])),
            HttpDevice.Create(server, DeviceIds[3], TestTokens.Mint(space.Name, DeviceIds[3])),
        };
        foreach (var device in devices)
        {
            device.AckObserver = ack =>
            {
                foreach (var change in ack.Changes)
                {
                    var values = (change.Conflicts ?? []).Select(c => c.Value).Append(change.Value);
                    if (values.Any(v => v is not null && !v.StartsWith($"{space.Name}|", StringComparison.Ordinal)))
                    {
                        lock (leaks)
                        {
                            leaks.Add($"{device.DeviceId} of {space.Name} got {change.Key} = {change.Value}");
                        }
                    }
                }
            };
        }

        return devices;
    }

    private static bool Same(Dictionary<string, string> expected, Dictionary<string, string> actual) =>
        expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out var v) && v == e.Value);

    /// <summary>A space and the oracle of what was written in it: the merge rule (docs/protocol.md §2) over every write sent.</summary>
    private sealed class Space(string name)
    {
        private readonly LwwMap _oracle = new();

        public string Name { get; } = name;

        public List<TestDevice> Devices { get; } = [];

        public int Writes { get; private set; }

        public void Record(Change change)
        {
            lock (_oracle)
            {
                _oracle.Apply(change.Key, new Write(change.Timestamp, change.DeviceId!, change.Value));
                Writes++;
            }
        }

        public Dictionary<string, string> ExpectedSnapshot()
        {
            lock (_oracle)
            {
                return _oracle.Entries.Where(e => e.Value.Winner.Value is not null)
                    .ToDictionary(e => e.Key, e => e.Value.Winner.Value!, StringComparer.Ordinal);
            }
        }
    }
}
