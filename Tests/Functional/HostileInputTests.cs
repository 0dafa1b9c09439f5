using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The hostile-input cases (docs/security.md) that <see cref="BadInputTests"/> does not cover, each with
/// auth off and on (a valid token) where auth could change the path: the exact answer, the connection
/// (where it survives) still syncing, and the server healthy.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string> Settings(bool auth, params (string Key, string Value)[] extra)
    {
        var settings = auth ? TestTokens.Settings() : [];
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static string? Token(bool auth, string deviceId) => auth ? TestTokens.Mint("alice", deviceId) : null;

    /// <summary>(store, auth, a flag of the test) over both stores, auth off and on, the flag false and true.</summary>
    public static TheoryData<string, bool, bool> StoresAuthAndAFlag
    {
        get
        {
            var data = new TheoryData<string, bool, bool>();
            foreach (var store in TestStores.All)
            {
                foreach (var auth in new[] { false, true })
                {
                    data.Add(store, auth, false);
                    data.Add(store, auth, true);
                }
            }

            return data;
        }
    }

    public static TheoryData<string, string, string> HostileFrames => new()
    {
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0] has a duplicate field 'key'" },
        { "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"value\":\"w\",\"timestamp\":1}]}", ErrorCodes.BadRequest, "changes[0] has a duplicate field 'value'" },
        { "{\"type\":\"sync_push\",\"changes\":[],\"last_ack\":1,\"last_ack\":2}", ErrorCodes.BadRequest, "duplicate field 'last_ack'" },
        { "{\"type\":\"sync_push\",\"changes\":[" + new string('[', 10_000) + new string(']', 10_000) + "]}", ErrorCodes.BadRequest, "not valid JSON" },
        { "{\"type\":\"sync_push\",\"changes\":[],\"extra\":" + string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000) + "}", ErrorCodes.BadRequest, "not valid JSON" },
        { new string('[', 10_000), ErrorCodes.BadRequest, "must be a JSON object" },
    };

    public static TheoryData<string, string, string, string> HostileFramesOnBothStores => TestStores.Cross(HostileFrames);

    [Theory]
    [MemberData(nameof(HostileFramesOnBothStores))]
    public async Task HostileJsonGetsTheErrorOnEveryTransportAndNothingIsApplied(string store, string frame, string code, string messagePart)
    {
        foreach (var auth in new[] { false, true })
        {
            await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth));
            await using var device = await WsDevice.ConnectAsync(server, "dev", token: Token(auth, "dev"));
            await using var poller = HttpDevice.Create(server, "poller", Token(auth, "poller"));
            await using var watcher = await WsDevice.ConnectAsync(server, "watcher", token: Token(auth, "watcher"));
            await watcher.PullAsync();

            // Raw WebSocket: an error frame, the connection stays.
            await device.SendTextAsync(frame);
            var error = await device.NextUnansweredErrorAsync();
            Assert.Equal(code, error.Code);
            Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);

            // HTTP: 400 with the same error object.
            using (var response = await poller.Http.PostAsync(poller.SyncPath, new StringContent(frame, Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var body = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
                Assert.Equal(code, body!.Code);
                Assert.Contains(messagePart, body.Message, StringComparison.Ordinal);
            }

            await ServerAssert.StillSyncsAsync(device, watcher);
            await poller.PutAsync("note:poller-after", "fine");
            Assert.Null(watcher.ValueOf("note:a"));
            Assert.Null(watcher.ValueOf("note:b"));
            await ServerAssert.HealthyAsync(server);
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task HundredThousandTinyChangesInOnePushAreTooLargeQuickly(string store, bool auth)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth));
        await using var device = await WsDevice.ConnectAsync(server, "bulk", token: Token(auth, "bulk"));
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher", token: Token(auth, "watcher"));
        var frame = HundredThousandChangesPush("big");
        var slowest = TimeSpan.Zero;

        // Act: the same push three times (HostileInputMemoryTests repeats it more and watches memory).
        for (var round = 0; round < 3; round++)
        {
            var watch = Stopwatch.StartNew();
            var answer = await device.SendAndWaitAsync(frame, "big");
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            var error = Assert.IsType<ErrorFrame>(answer);
            Assert.Equal(ErrorCodes.TooLarge, error.Code);
            Assert.Contains("100000 changes; at most 10000", error.Message, StringComparison.Ordinal);
        }

        // Assert: answered (generously) fast, nothing applied, still syncing.
        Assert.True(slowest < TimeSpan.FromSeconds(15), $"slowest answer {slowest}");
        await watcher.PullAsync();
        Assert.Null(watcher.ValueOf("note:1"));
        await ServerAssert.StillSyncsAsync(device, watcher);
        await ServerAssert.HealthyAsync(server);
    }

    /// <summary>A push of 100,000 tiny changes (4.4 MB), ten times <c>MaxChangesPerPush</c>'s default.</summary>
    internal static string HundredThousandChangesPush(string requestId)
    {
        var builder = new StringBuilder("{\"type\":\"sync_push\",\"request_id\":\"").Append(requestId).Append("\",\"changes\":[");
        for (var i = 0; i < 100_000; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append("{\"key\":\"note:").Append(i).Append("\",\"value\":\"\",\"timestamp\":1}");
        }

        return builder.Append("]}").ToString();
    }

    [Theory]
    [MemberData(nameof(StoresAuthAndAFlag))]
    public async Task OversizedMessageWholeOrInContinuationFramesClosesWith1009(string store, bool auth, bool continuation)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth, ("NoteSync__Limits__MaxMessageBytes", "65536")));
        await using var device = await WsDevice.ConnectAsync(server, "dev", token: Token(auth, "dev"));
        await using var other = await WsDevice.ConnectAsync(server, "other", token: Token(auth, "other"));

        var payload = Encoding.UTF8.GetBytes("{\"type\":\"sync_push\",\"changes\":[],\"pad\":\"" + new string('x', 70_000) + "\"}");
        try
        {
            if (continuation)
            {
                // 1,000-byte frames: each small, the message too big.
                for (var at = 0; at < payload.Length; at += 1000)
                {
                    var last = at + 1000 >= payload.Length;
                    await device.SendAsync(payload.AsMemory(at, Math.Min(1000, payload.Length - at)), WebSocketMessageType.Text, endOfMessage: last);
                }
            }
            else
            {
                await device.SendAsync(payload, WebSocketMessageType.Text);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException)
        {
            // The server closed while the rest was still being sent.
        }

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await device.Closed.WaitAsync(TestDevice.DefaultTimeout));
        await other.PutAsync("note:other", "unaffected");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task InvalidUtf8InATextFrameClosesWith1007(string store, bool auth)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth));
        await using var other = await WsDevice.ConnectAsync(server, "other", token: Token(auth, "other"));
        var token = auth ? "&access_token=" + TestTokens.Mint("alice", "raw") : "";
        using var raw = await RawWebSocket.ConnectAsync(server, $"/ws/sync?device_id=raw{token}");

        // "{"type":"sync_push","changes":[],"request_id":"<0xC3 0x28>"}": a lone lead byte, then '('.
        var bytes = Encoding.UTF8.GetBytes("{\"type\":\"sync_push\",\"changes\":[],\"request_id\":\"__\"}");
        var at = Array.IndexOf(bytes, (byte)'_');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        await raw.SendFrameAsync(1, bytes);

        Assert.Equal((int)WebSocketCloseStatus.InvalidPayloadData, await raw.ReadUntilClosedAsync(Generous));
        await other.PutAsync("note:other", "unaffected");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task MalformedMessagePackToTheHubClosesOnlyThatConnection(string store, bool auth)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth));
        await using var other = await HubDevice.ConnectAsync(server, "other", messagePack: true, Token(auth, "other"));
        using var socket = new ClientWebSocket();
        var token = auth ? "&access_token=" + TestTokens.Mint("alice", "garbage") : "";
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/hubs/sync?device_id=garbage{token}"), CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"messagepack\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        var handshake = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TestDevice.DefaultTimeout);
        Assert.Equal("{}\u001e", Encoding.UTF8.GetString(buffer, 0, handshake.Count));

        // Act: a length prefix of 6, then bytes MessagePack never uses (0xC1).
        await socket.SendAsync(new byte[] { 0x06, 0xC1, 0xC1, 0xC1, 0xC1, 0xC1, 0xC1 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        // Assert: SignalR ends that connection (a Close message, then the close); nobody else notices.
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Generous);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
        }

        await other.PutAsync("note:other", "unaffected");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(StoresAuthAndAFlag))]
    public async Task HubCallsOfUnknownMethodsChangesOrIllTypedArgumentsFailAndTheConnectionKeepsSyncing(string store, bool auth, bool messagePack)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth));
        await using var device = await HubDevice.ConnectAsync(server, "hub", messagePack, Token(auth, "hub"));
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher", token: Token(auth, "watcher"));
        await watcher.PullAsync();

        // Unknown methods, the client-side method Changes, and Push with arguments of the wrong shape or
        // number: SignalR's binding error, or the push reader's refusal of what is not a push.
        const string NotAPush = "An unexpected error occurred invoking 'Push' on the server. HubException: bad_request: the push must be an object";
        var calls = new (string Method, object?[] Args, string Error)[]
        {
            ("DropAllNotes", [], "Failed to invoke 'DropAllNotes'"),
            ("Changes", [new SyncAck()], "Failed to invoke 'Changes'"),
            ("Push", [42], NotAPush),
            ("Push", ["a string"], NotAPush),
            ("Push", [new SyncPush(), new SyncPush()], "Failed to invoke 'Push'"),
            ("Push", [], "Failed to invoke 'Push'"),
        };
        foreach (var (method, args, error) in calls.Where(c => messagePack || c.Args.All(a => a is SyncPush or SyncAck)))
        {
            var ex = await Assert.ThrowsAsync<HubException>(() => device.Connection.InvokeCoreAsync<SyncAck>(method, args).WaitAsync(TestDevice.DefaultTimeout));
            Assert.StartsWith(error, ex.Message, StringComparison.Ordinal);
            Assert.Equal(HubConnectionState.Connected, device.Connection.State);
        }

        if (!messagePack)
        {
            // JSON the typed client will not write: ill-typed Push arguments, sent raw.
            await using var raw = await RawHubClient.ConnectAsync(server, "raw", Token(auth, "raw"));
            foreach (var (args, error) in new[]
            {
                ("[42]", "the push must be an object"),
                ("[\"a string\"]", "the push must be an object"),
                ("[{\"changes\":5}]", "changes must be an array"),
                ("[{\"changes\":[{\"key\":7}]}]", "changes[0].key must be a string"),
                ("[null]", "the push must be an object"),
                ("[[]]", "the push must be an object"),
            })
            {
                var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => raw.InvokeAsync("Push", JsonNode.Parse(args)!.AsArray()));
                Assert.True(ex.Message == "An unexpected error occurred invoking 'Push' on the server. HubException: bad_request: " + error, $"{args}: {ex.Message}");
            }

            await raw.PushAsync(new JsonObject { ["changes"] = new JsonArray(new JsonObject { ["key"] = "note:raw-after", ["value"] = "ok", ["timestamp"] = 1 }) });
            await watcher.WaitForValueAsync("note:raw-after", "ok");
        }

        await ServerAssert.StillSyncsAsync(device, watcher);
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task HttpSyncRefusesWrongMethodContentTypeSizeAndDeviceIds(string store, bool auth)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth, ("NoteSync__Limits__MaxMessageBytes", "4096")));
        await using var device = HttpDevice.Create(server, "script", Token(auth, "script"));
        var http = device.Http;

        // GET /sync: 405.
        using (var get = await http.GetAsync(device.SyncPath))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        }

        // Wrong content types: 415 with the error object.
        foreach (var type in new[] { "text/plain", "application/x-www-form-urlencoded", "application/msgpack" })
        {
            using var response = await http.PostAsync(device.SyncPath, new StringContent("{\"type\":\"sync_push\",\"changes\":[]}", Encoding.UTF8, type));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal(ErrorCodes.BadRequest, (await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame))!.Code);
        }

        // Oversized bodies, with and without a Content-Length: 413 too_large.
        var big = "{\"type\":\"sync_push\",\"changes\":[],\"pad\":\"" + new string('x', 5000) + "\"}";
        using (var sized = await http.PostAsync(device.SyncPath, new StringContent(big, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.StatusCode);
            Assert.Equal(ErrorCodes.TooLarge, (await sized.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame))!.Code);
        }

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using (var request = new HttpRequestMessage(HttpMethod.Post, device.SyncPath) { Content = chunked })
        {
            request.Headers.TransferEncodingChunked = true;
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        // device_id missing, over 256 characters, or with control characters: 400.
        foreach (var query in new[] { "", "?device_id=", "?device_id=" + new string('d', 257), "?device_id=a%00b", "?device_id=a%0Ab", "?device_id=a%7Fb", "?device_id=a%C2%85b" })
        {
            var client = auth ? HttpDevice.Create(server, "x", TestTokens.Mint("alice")).Http : new HttpClient { BaseAddress = server.BaseUri };
            using (client)
            using (var response = await client.PostAsync("sync" + query, new StringContent("{\"type\":\"sync_push\",\"changes\":[]}", Encoding.UTF8, "application/json")))
            {
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {response.StatusCode}");
                Assert.Equal(ErrorCodes.BadRequest, (await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame))!.Code);
            }
        }

        // The same device still syncs, and the server never answered 5xx.
        await device.PutAsync("note:after", "fine");
        Assert.Equal("fine", device.ValueOf("note:after"));
        await ServerAssert.HealthyAsync(server);
    }

    // One store: the upgrade is refused before a session, and so the store, is reached.
    [Theory]
    [InlineData(false, "/ws/sync")]
    [InlineData(false, "/hubs/sync")]
    [InlineData(true, "/ws/sync")]
    [InlineData(true, "/hubs/sync")]
    public async Task DeviceIdWithControlCharactersOrOverlongIsRefusedAtTheUpgrade(bool auth, string path)
    {
        await using var server = await InProcessServer.StartAsync(Settings(auth));
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        foreach (var id in new[] { "a%00b", "a%1Bb", "a%C2%9Fb", new string('d', 257) })
        {
            using var request = UpgradeRequests.Create($"{path.TrimStart('/')}?device_id={id}");
            if (auth)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Mint("alice"));
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{id}: {response.StatusCode}");
            Assert.Equal(ErrorCodes.BadRequest, (await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame))!.Code);
        }

        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task TenThousandDeepNestingToTheHubClosesOnlyThatConnection(string store, bool auth)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, Settings(auth));
        await using var other = await HubDevice.ConnectAsync(server, "other", messagePack: false, Token(auth, "other"));
        await using var raw = await RawHubClient.ConnectAsync(server, "deep", Token(auth, "deep"));
        var deep = new string('[', 10_000) + new string(']', 10_000);

        // Act: a JSON hub invocation whose push carries a field nested 10,000 deep.
        var outcome = await Record.ExceptionAsync(() => raw.InvokeRawAsync("Push", "[{\"changes\":[],\"x\":" + deep + "}]"));

        // Assert: SignalR's JSON reader stops at its depth limit and ends that connection; nobody else
        // notices; no error logged.
        Assert.IsType<WebSocketException>(outcome);
        await other.PutAsync("note:other", "unaffected");
        await ServerAssert.HealthyAsync(server);
    }
}
