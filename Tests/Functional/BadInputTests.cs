using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Bad input on every transport gets the answer docs/protocol.md §4.11 gives, nothing of it is applied, and the same
/// connection goes on syncing; the server stays healthy throughout. Every case that opens a session runs
/// on both stores (<see cref="TestStores"/>); the ones refused at the upgrade or by the HTTP endpoint
/// before a body is read never reach a store and run on SQLite only.
/// </summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string, string> BadWebSocketFrames => new()
    {
        { "not json at all", ErrorCodes.BadRequest, "not valid JSON" },
        { "[1,2,3]", ErrorCodes.BadRequest, "must be a JSON object" },
        { "{\"type\":\"sync_push\",\"changes\":[]", ErrorCodes.BadRequest, "not valid JSON" },
        { "{\"type\":\"sync_pull\",\"changes\":[],\"request_id\":\"q\"}", ErrorCodes.BadRequest, "unknown type 'sync_pull'" },
        { "{\"changes\":[]}", ErrorCodes.BadRequest, "type is required" },
        { "{\"type\":\"sync_push\"}", ErrorCodes.BadRequest, "changes is required" },
        { "{\"type\":\"sync_push\",\"changes\":{}}", ErrorCodes.BadRequest, "changes must be an array" },
        { "{\"type\":\"sync_push\",\"changes\":[42]}", ErrorCodes.BadRequest, "changes[0] must be an object" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"value\":\"v\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0].key is required" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"todo\",\"value\":\"v\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0].key must be 'note:<path>'" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:\",\"value\":\"v\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0].key must be 'note:<path>'" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0].value is required" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":7,\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0].value must be a string or null" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\"}]}", ErrorCodes.BadRequest, "changes[0].timestamp is required" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":0}]}", ErrorCodes.BadRequest, "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9007199254740992}]}", ErrorCodes.BadRequest, "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1.5}]}", ErrorCodes.BadRequest, "changes[0].timestamp must be an integer" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":\"5\"}]}", ErrorCodes.BadRequest, "changes[0].timestamp must be an integer" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1,\"device_id\":\"someone-else\"}]}", ErrorCodes.BadRequest, "changes[0].device_id must equal the connection's device_id" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:ok\",\"value\":\"v\",\"timestamp\":1},{\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":-3}]}", ErrorCodes.BadRequest, "changes[1].timestamp" },
        { "{\"type\":\"sync_push\",\"changes\":[],\"last_ack\":-1}", ErrorCodes.BadRequest, "last_ack must be an integer" },
        { "{\"type\":\"sync_push\",\"changes\":[],\"request_id\":5}", ErrorCodes.BadRequest, "request_id must be a string" },
        { "{\"type\":\"sync_push\",\"type\":\"sync_push\",\"changes\":[]}", ErrorCodes.BadRequest, "duplicate field 'type'" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:" + new string('k', 1100) + "\",\"value\":\"v\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "at most 1024 UTF-8 bytes" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:\\ud800\",\"value\":\"v\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0].key" },
        { "{\"type\":\"sync_push\",\"changes\":[" + new string('[', 40) + new string(']', 40) + "]}", ErrorCodes.BadRequest, "not valid JSON" },
    };

    public static TheoryData<string, string, string, string> BadWebSocketFramesOnBothStores => TestStores.Cross(BadWebSocketFrames);

    [Theory]
    [MemberData(nameof(BadWebSocketFramesOnBothStores))]
    public async Task BadWebSocketFrameGetsAnErrorFrameAndTheConnectionKeepsSyncing(string store, string frame, string code, string messagePart)
    {
        // Arrange
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var device = await WsDevice.ConnectAsync(server, "dev");
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();

        // Act
        await device.SendTextAsync(frame);
        var error = await device.NextUnansweredErrorAsync();

        // Assert: the documented answer, nothing applied, and the same connection still syncs.
        Assert.Equal(code, error.Code);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        await ServerAssert.StillSyncsAsync(device, watcher);
        Assert.Null(watcher.ValueOf("note:ok"));
        Assert.Null(watcher.ValueOf("note:a"));
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ErrorFrameEchoesTheRequestIdOfARefusedPush(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var device = await WsDevice.ConnectAsync(server, "dev");

        var answer = await device.SendAndWaitAsync("{\"type\":\"sync_push\",\"changes\":[{\"key\":\"bad\",\"value\":\"v\",\"timestamp\":1}],\"request_id\":\"r-77\"}", "r-77");

        var error = Assert.IsType<ErrorFrame>(answer);
        Assert.Equal("r-77", error.RequestId);
        Assert.Equal(ErrorCodes.BadRequest, error.Code);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task BinaryFrameGetsAnErrorFrameAndTheConnectionKeepsSyncing(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var device = await WsDevice.ConnectAsync(server, "dev");
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();

        await device.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary);
        var error = await device.NextUnansweredErrorAsync();

        Assert.Equal(ErrorCodes.BadRequest, error.Code);
        Assert.Contains("binary", error.Message, StringComparison.Ordinal);
        await ServerAssert.StillSyncsAsync(device, watcher);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task TooManyChangesInOnePushIsTooLargeAndNothingIsApplied(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string> { ["NoteSync__Limits__MaxChangesPerPush"] = "10" });
        await using var device = await WsDevice.ConnectAsync(server, "dev");
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();

        var push = device.NewPush([.. Enumerable.Range(0, 11).Select(i => new Change { Key = $"note:ok/{i}", Value = "v", Timestamp = i + 1 })]);
        var answer = await device.SendAndWaitAsync(System.Text.Json.JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!);

        var error = Assert.IsType<ErrorFrame>(answer);
        Assert.Equal(ErrorCodes.TooLarge, error.Code);
        await ServerAssert.StillSyncsAsync(device, watcher);
        Assert.DoesNotContain(watcher.Snapshot().Keys, k => k.StartsWith("note:ok/", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task KeyOverTheConfiguredLimitIsRefusedAndTheConnectionKeepsSyncing(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string> { ["NoteSync__Limits__MaxKeyBytes"] = "32" });
        await using var device = await WsDevice.ConnectAsync(server, "dev");
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();
        var push = device.NewPush(new Change { Key = "note:" + new string('k', 28), Value = "v", Timestamp = 1 });

        var answer = await device.SendAndWaitAsync(System.Text.Json.JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!);

        Assert.Equal(ErrorCodes.BadRequest, Assert.IsType<ErrorFrame>(answer).Code);
        Assert.Contains("changes[0].key must be at most 32 UTF-8 bytes", ((ErrorFrame)answer).Message, StringComparison.Ordinal);
        await device.PutAsync("note:" + new string('k', 27), "at the limit");
        await watcher.WaitForValueAsync("note:" + new string('k', 27), "at the limit");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ValueOverTheLimitIsTooLarge(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string> { ["NoteSync__Limits__MaxValueBytes"] = "1000" });
        await using var device = await WsDevice.ConnectAsync(server, "dev");
        var push = device.NewPush(new Change { Key = "note:big", Value = new string('é', 600), Timestamp = 1 });

        var answer = await device.SendAndWaitAsync(System.Text.Json.JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!);

        Assert.Equal(ErrorCodes.TooLarge, Assert.IsType<ErrorFrame>(answer).Code);
        Assert.Contains("changes[0].value must be at most 1000 UTF-8 bytes", ((ErrorFrame)answer).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task MessageOverTheSizeLimitClosesWith1009(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string> { ["NoteSync__Limits__MaxMessageBytes"] = "65536" });
        await using var device = await WsDevice.ConnectAsync(server, "dev");

        // Sent as many continuation frames, so no single frame is large.
        var chunk = Encoding.UTF8.GetBytes(new string(' ', 8192));
        for (var i = 0; i < 12; i++)
        {
            try
            {
                await device.SendAsync(chunk, WebSocketMessageType.Text, endOfMessage: false);
            }
            catch (WebSocketException)
            {
                break; // the server closed while we were still sending
            }
        }

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await device.Closed.WaitAsync(TestDevice.DefaultTimeout));
        await ServerAssert.HealthyAsync(server);
    }

    // One store: refused before a session or a store is reached.
    [Theory]
    [InlineData("/ws/sync")]
    [InlineData("/ws/sync?device_id=")]
    [InlineData("/hubs/sync")]
    [InlineData("/sync")]
    public async Task MissingDeviceIdIsRefusedWith400(string path)
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var response = path == "/sync"
            ? await http.PostAsync(path, new StringContent("{}", Encoding.UTF8, "application/json"))
            : await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
        Assert.Equal(ErrorCodes.BadRequest, error!.Code);
    }

    // One store: refused before a session or a store is reached.
    [Fact]
    public async Task OverlongDeviceIdIsRefusedAtTheUpgrade()
    {
        await using var server = await InProcessServer.StartAsync();

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => WsDevice.ConnectAsync(server, new string('d', 257)));

        Assert.Contains("400", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, HttpStatusCode, string> BadHttpBodies => new()
    {
        { "not json", HttpStatusCode.BadRequest, "not valid JSON" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":0}]}", HttpStatusCode.BadRequest, "changes[0].timestamp" },
        { "{\"type\":\"other\",\"changes\":[]}", HttpStatusCode.BadRequest, "unknown type" },
    };

    public static TheoryData<string, string, HttpStatusCode, string> BadHttpBodiesOnBothStores => TestStores.Cross(BadHttpBodies);

    [Theory]
    [MemberData(nameof(BadHttpBodiesOnBothStores))]
    public async Task BadHttpBodyGets400WithAnErrorObject(string store, string body, HttpStatusCode status, string messagePart)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var device = HttpDevice.Create(server, "script");

        using var response = await device.Http.PostAsync(device.SyncPath, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
        Assert.Equal("error", error!.Type);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        await device.PutAsync("note:after", "fine");
        Assert.Equal("fine", device.ValueOf("note:after"));
    }

    // One store: refused before a session or a store is reached.
    [Fact]
    public async Task HttpBodyThatIsNotJsonGets415()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = HttpDevice.Create(server, "script");

        using var response = await device.Http.PostAsync(device.SyncPath, new StringContent("{}", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    // One store: refused before a session or a store is reached.
    [Fact]
    public async Task HttpBodyOverTheLimitGets413()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxMessageBytes"] = "4096" });
        await using var device = HttpDevice.Create(server, "script");

        using var response = await device.Http.PostAsync(device.SyncPath, new StringContent(new string(' ', 5000) + "{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(ErrorCodes.TooLarge, (await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame))!.Code);
    }

    public static TheoryData<string, string, long> BadHubChanges
    {
        get
        {
            var data = new TheoryData<string, string, long>();
            foreach (var store in TestStores.All)
            {
                data.Add(store, "todo", 1);
                data.Add(store, "note:", 1);
                data.Add(store, "note:a", 0);
                data.Add(store, "note:a", 1L << 53);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BadHubChanges))]
    public async Task BadHubPushFailsTheInvocationAndTheConnectionKeepsSyncing(string store, string key, long timestamp)
    {
        foreach (var messagePack in new[] { false, true })
        {
            await using var server = await InProcessServer.StartOnStoreAsync(store);
            await using var device = await HubDevice.ConnectAsync(server, "hub", messagePack);
            await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
            await watcher.PullAsync();

            var ex = await Assert.ThrowsAsync<HubException>(() => device.PushAsync(device.NewPush(new Change { Key = key, Value = "v", Timestamp = timestamp })));

            Assert.StartsWith("An unexpected error occurred invoking 'Push' on the server. HubException: bad_request: changes[0].", ex.Message, StringComparison.Ordinal);
            await ServerAssert.StillSyncsAsync(device, watcher);
            await ServerAssert.HealthyAsync(server);
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task HubPushWithAnotherDevicesIdIsRefused(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var device = await HubDevice.ConnectAsync(server, "hub", messagePack: true);

        var ex = await Assert.ThrowsAsync<HubException>(() => device.Connection.InvokeAsync<SyncAck>("Push", new SyncPush { Changes = [new() { Key = "note:a", Value = "v", Timestamp = 1, DeviceId = "other" }] }));

        Assert.Contains("device_id must equal", ex.Message, StringComparison.Ordinal);
        await device.PutAsync("note:b", "ok");
    }
}
