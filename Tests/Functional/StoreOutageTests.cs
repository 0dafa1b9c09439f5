using System.Net;
using System.Text.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// While the store cannot be reached, or answers but refuses writes, a node says so and acknowledges
/// nothing; it recovers by itself.
/// </summary>
public sealed class StoreOutageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task UnreachableRedisGivesUnavailableAnd503ThenTheNodeRecoversWithoutRestart()
    {
        // Arrange
        await using var node = await RedisNode.StartAsync();
        var (redis, device, http) = (node.Redis, node.Device, node.Http);

        // Act: Redis stops answering.
        redis.Pause();
        ErrorFrame refused;
        try
        {
            await WaitForHealthAsync(http, HttpStatusCode.ServiceUnavailable);
            var push = device.NewPush(new Change { Key = "note:during", Value = "x", Timestamp = device.Clock.Tick() });
            var answer = await device.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!).WaitAsync(Bound);
            refused = Assert.IsType<ErrorFrame>(answer);
        }
        finally
        {
            redis.Resume();
        }

        // Assert: never an ack while down; healthy again and syncing on the same connection after.
        Assert.Equal(ErrorCodes.Unavailable, refused.Code);
        await node.AssertRecoveredAsync();
    }

    [Fact]
    public async Task RedisThatAnswersButRefusesWritesMakesTheNodeUnreadyUntilItTakesWritesAgain()
    {
        // Arrange
        await using var node = await RedisNode.StartAsync();
        var (redis, device, http) = (node.Redis, node.Device, node.Http);
        await using var admin = await redis.ConnectAsync();
        var redisServer = admin.GetServer(admin.GetEndPoints()[0]);

        // Act: Redis reaches its maxmemory with noeviction, so it answers PING and refuses every write
        // (OOM), as it refuses them with MISCONF when it cannot persist.
        await redisServer.ConfigSetAsync("maxmemory-policy", "noeviction");
        await redisServer.ConfigSetAsync("maxmemory", "1");
        ErrorFrame refused;
        string unready;
        try
        {
            var push = device.NewPush(new Change { Key = "note:during", Value = "x", Timestamp = device.Clock.Tick() });
            var answer = await device.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!).WaitAsync(Bound);
            refused = Assert.IsType<ErrorFrame>(answer);
            using var response = await http.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            unready = await response.Content.ReadAsStringAsync();
        }
        finally
        {
            await redisServer.ConfigSetAsync("maxmemory", "0");
        }

        // Assert: refused, said on /healthz, and ready again with no push needed once Redis takes writes.
        Assert.Equal(ErrorCodes.Unavailable, refused.Code);
        using (var report = JsonDocument.Parse(unready))
        {
            Assert.Equal("store_refuses_writes", report.RootElement.GetProperty("problem").GetString());
            Assert.Contains("OOM", report.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        await node.AssertRecoveredAsync();
    }

    /// <summary>A node on a Redis of its own, with a device that wrote <c>note:before</c>.</summary>
    private sealed class RedisNode(RedisServer redis, InProcessServer server, WsDevice device) : IAsyncDisposable
    {
        public RedisServer Redis => redis;

        public WsDevice Device => device;

        public HttpClient Http { get; } = new() { BaseAddress = server.BaseUri, Timeout = Bound };

        public static async Task<RedisNode> StartAsync()
        {
            var redis = await RedisServer.StartAsync();
            InProcessServer? server = null;
            try
            {
                server = await InProcessServer.StartAsync(new Dictionary<string, string>
                {
                    ["NoteSync__Store"] = "redis",
                    ["NoteSync__Redis"] = redis.ConnectionString,
                });
                var device = await WsDevice.ConnectAsync(server, "laptop");
                var node = new RedisNode(redis, server, device);
                await device.PutAsync("note:before", "kept");
                return node;
            }
            catch
            {
                // A server in this process would outlive the test: stop it, then its Redis.
                if (server is not null)
                {
                    await server.DisposeAsync();
                }

                await redis.DisposeAsync();
                throw;
            }
        }

        /// <summary>Ready again, syncing on the same connection, and nothing lost.</summary>
        public async Task AssertRecoveredAsync()
        {
            await WaitForHealthAsync(Http, HttpStatusCode.OK);
            await device.PutAsync("note:after", "synced");
            await using var reader = HttpDevice.Create(server, "reader");
            await reader.PullAsync();
            Assert.Equal("kept", reader.ValueOf("note:before"));
            Assert.Equal("synced", reader.ValueOf("note:after"));
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await device.DisposeAsync();
            await server.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    private static async Task WaitForHealthAsync(HttpClient http, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            using var response = await http.GetAsync("healthz");
            if (response.StatusCode == expected)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/healthz stayed {(int)response.StatusCode}, expected {(int)expected}");
            await Task.Delay(100);
        }
    }
}
