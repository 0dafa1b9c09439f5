using System.Text.Json.Nodes;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>On the hub, an invocation's result and the live pushes around it arrive in cursor order.</summary>
public sealed class HubOrderingTests
{
    [Fact]
    public async Task AckTimestampNeverGoesBackOnAHubConnectionUnderConcurrentWrites()
    {
        // Arrange: three raw-WebSocket writers keep the space busy while a hub device pushes.
        await using var server = await InProcessServer.StartAsync();
        await using var hub = await RawHubClient.ConnectAsync(server, "hub-device");
        await hub.PushAsync(new JsonObject { ["changes"] = new JsonArray(), ["last_ack"] = 0 });
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            await using var device = await WsDevice.ConnectAsync(server, $"writer-{w}");
            for (var i = 0; i < 100; i++)
            {
                await device.PutAsync($"note:w{w}/{i}", $"v{i}");
            }
        })).ToList();

        // Act: the hub device pushes 60 writes one after another, each from its latest cursor.
        long cursor = 0;
        for (var i = 0; i < 60; i++)
        {
            var push = new JsonObject
            {
                ["changes"] = new JsonArray(new JsonObject { ["key"] = $"note:hub/{i}", ["value"] = "v", ["timestamp"] = 1_000 + i }),
                ["last_ack"] = cursor,
            };
            var result = await hub.PushAsync(push);
            cursor = Math.Max(cursor, result["ack_timestamp"]!.GetValue<long>());
        }

        await Task.WhenAll(writers);

        // Assert: many frames interleaved, and in wire order no ack_timestamp is below an earlier one.
        var seen = hub.AckTimestampsInWireOrder;
        Assert.True(seen.Count > 61, $"only {seen.Count} frames: no live pushes were interleaved");
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] >= seen[i - 1], $"ack_timestamp went back from {seen[i - 1]} to {seen[i]} at frame {i}");
        }
    }
}
