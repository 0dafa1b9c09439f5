using System.Net;
using System.Text.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>While the store cannot be reached, a node says so and acknowledges nothing; it recovers by itself.</summary>
public sealed class StoreOutageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task UnreachableRedisGivesUnavailableAnd503ThenTheNodeRecoversWithoutRestart()
    {
        // Arrange
        await using var redis = await RedisServer.StartAsync();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Redis"] = redis.ConnectionString,
        });
        await using var device = await WsDevice.ConnectAsync(server, "laptop");
        await device.PutAsync("note:before", "kept");
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = Bound };

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
        await WaitForHealthAsync(http, HttpStatusCode.OK);
        await device.PutAsync("note:after", "synced");
        await using var reader = HttpDevice.Create(server, "reader");
        await reader.PullAsync();
        Assert.Equal("kept", reader.ValueOf("note:before"));
        Assert.Equal("synced", reader.ValueOf("note:after"));
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
