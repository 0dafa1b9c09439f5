using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>Devices on every transport of one server see each other's edits live.</summary>
public sealed class CrossTransportLiveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PushFromWebSocketReachesSignalRDeviceLive(bool messagePack)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await using var hub = await HubDevice.ConnectAsync(server, "laptop", messagePack);
        await ws.PullAsync();
        await hub.PullAsync();

        // Act
        await ws.PutAsync("note:inbox/todo", "buy milk");

        // Assert
        await hub.WaitForValueAsync("note:inbox/todo", "buy milk");
        Assert.Equal("browser", hub.StateOf("note:inbox/todo")!.Winner.DeviceId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PushFromSignalRReachesWebSocketDeviceLive(bool messagePack)
    {
        await using var server = await InProcessServer.StartAsync();
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await using var hub = await HubDevice.ConnectAsync(server, "laptop", messagePack);
        await ws.PullAsync();
        await hub.PullAsync();

        await hub.PutAsync("note:journal/2026-11-25", "a long day");

        await ws.WaitForValueAsync("note:journal/2026-11-25", "a long day");
        Assert.Equal("laptop", ws.StateOf("note:journal/2026-11-25")!.Winner.DeviceId);
    }

    [Fact]
    public async Task PushOverHttpReachesEveryLiveTransport()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await using var hubJson = await HubDevice.ConnectAsync(server, "phone", messagePack: false);
        await using var hubPack = await HubDevice.ConnectAsync(server, "laptop", messagePack: true);
        await using var script = HttpDevice.Create(server, "cron-script");
        await ws.PullAsync();
        await hubJson.PullAsync();
        await hubPack.PullAsync();

        await script.PutAsync("note:reports/daily", "42 notes synced");

        await ws.WaitForValueAsync("note:reports/daily", "42 notes synced");
        await hubJson.WaitForValueAsync("note:reports/daily", "42 notes synced");
        await hubPack.WaitForValueAsync("note:reports/daily", "42 notes synced");
    }

    [Fact]
    public async Task PollingDeviceSeesLiveDevicesEditsOnItsNextPull()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await using var script = HttpDevice.Create(server, "script");
        await script.PullAsync();

        await ws.PutAsync("note:a", "from the browser");
        await script.PullAsync();

        Assert.Equal("from the browser", script.ValueOf("note:a"));
    }

    [Fact]
    public async Task ManyWritesFromManyDevicesConvergeOnEveryDevice()
    {
        // Arrange: two devices per transport.
        await using var server = await InProcessServer.StartAsync();
        var devices = new List<TestDevice>
        {
            await WsDevice.ConnectAsync(server, "ws-1"),
            await WsDevice.ConnectAsync(server, "ws-2"),
            await HubDevice.ConnectAsync(server, "hub-json", messagePack: false),
            await HubDevice.ConnectAsync(server, "hub-pack", messagePack: true),
        };
        try
        {
            foreach (var d in devices)
            {
                await d.PullAsync();
            }

            // Act: every device writes 50 notes, some keys shared, concurrently.
            await Task.WhenAll(devices.Select(async d =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await d.PutAsync($"note:shared/{i % 10}", $"{d.DeviceId}:{i}");
                    await d.PutAsync($"note:{d.DeviceId}/{i}", $"v{i}");
                }
            }));

            // Assert: every device converges to what a fresh device pulls.
            await using var observer = await WsDevice.ConnectAsync(server, "observer");
            await observer.PullAsync();
            var expected = observer.Snapshot();
            Assert.Equal(10 + (4 * 50), expected.Count);
            foreach (var d in devices)
            {
                await d.WaitUntilAsync(x => Differences(expected, x.Snapshot()) == "", $"convergence; still different: {Differences(expected, d.Snapshot())}");
                var acks = d.AckTimestamps;
                Assert.True(acks.Zip(acks.Skip(1)).All(p => p.Second >= p.First), $"{d.DeviceId}: ack_timestamp went back");
            }
        }
        finally
        {
            foreach (var d in devices)
            {
                await d.DisposeAsync();
            }
        }
    }

    private static string Differences(Dictionary<string, string> expected, Dictionary<string, string> actual) =>
        string.Join("; ", expected.Keys.Union(actual.Keys)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Take(5)
            .Select(k => $"{k}: expected {expected.GetValueOrDefault(k) ?? "-"}, has {actual.GetValueOrDefault(k) ?? "-"}"));
}
