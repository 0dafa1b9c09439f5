using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// No token and no signing key reaches the server's log, even at Debug, where ASP.NET Core logs every
/// request's URL with its query.
/// </summary>
public sealed class TokenLoggingTests
{
    [Fact]
    public async Task NoTokenOrKeyIsLoggedAtDebugOnAnyTransport()
    {
        // Arrange: everything at Debug, ASP.NET Core's request log included.
        var settings = TestTokens.Settings();
        settings["Logging__LogLevel__Default"] = "Debug";
        settings["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug";
        await using var server = await InProcessServer.StartAsync(settings);
        var space = $"logs-{Guid.NewGuid():N}";
        var used = new List<string>();
        string Use(string token)
        {
            used.Add(token);
            return token;
        }

        // Act: good tokens on every transport, by query and by header...
        await using (var ws = await WsDevice.ConnectAsync(server, "ws", token: Use(TestTokens.Mint(space))))
        await using (var wsHeader = await WsDevice.ConnectAsync(server, "ws-header", token: Use(TestTokens.Mint(space, "ws-header")), tokenInHeader: true))
        await using (var hub = await HubDevice.ConnectAsync(server, "hub", messagePack: false, Use(TestTokens.Mint(space))))
        await using (var poller = HttpDevice.Create(server, "poller", Use(TestTokens.Mint(space))))
        {
            await ws.PutAsync("note:a", "v");
            await wsHeader.PullAsync();
            await hub.PullAsync();
            await poller.PullAsync();
        }

        using (var hubByQuery = new ClientWebSocket())
        {
            await hubByQuery.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/hubs/sync?device_id=raw&access_token={Use(TestTokens.Mint(space))}"), CancellationToken.None);
            hubByQuery.Abort();
        }

        // ...and bad ones, refused on every transport.
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        var bad = new[]
        {
            Use(TestTokens.Mint(space, expires: DateTimeOffset.UtcNow.AddMinutes(-6))),
            Use(TestTokens.Mint(space, key: TestTokens.WrongKey)),
            Use(TestTokens.AlgNone(space)),
            Use(TestTokens.Mint(space, deviceId: "someone-else")),
        };
        foreach (var token in bad)
        {
            await Assert.ThrowsAsync<WebSocketException>(() => WsDevice.ConnectAsync(server, "ws", token: token));
            await Assert.ThrowsAsync<WebSocketException>(() => WsDevice.ConnectAsync(server, "ws", token: token, tokenInHeader: true));
            await Assert.ThrowsAnyAsync<Exception>(() => HubDevice.ConnectAsync(server, "hub", messagePack: true, token));
            await Assert.ThrowsAsync<HttpRequestException>(() => HttpDevice.Create(server, "poller", token).PullAsync());
            using var query = await http.PostAsJsonAsync($"sync?device_id=poller&access_token={token}", new SyncPush(), NoteSyncJsonContext.Default.SyncPush);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, query.StatusCode);
        }

        using var queryOnPost = await http.PostAsJsonAsync($"sync?device_id=poller&access_token={Use(TestTokens.Mint(space))}", new SyncPush(), NoteSyncJsonContext.Default.SyncPush);
        using var header = new HttpRequestMessage(HttpMethod.Get, "healthz?marker=done");
        header.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Use(TestTokens.Mint(space)));
        await http.SendAsync(header);
        await WaitForLogAsync(server, "healthz?marker=done");

        // Assert: the request log ran (and was scrubbed), and no token, part of one, or key is in it.
        var output = server.Output;
        Assert.Contains("Request starting", output, StringComparison.Ordinal);
        Assert.Contains("access_token=[redacted]", output, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTokens.Key, output, StringComparison.Ordinal);
        foreach (var token in used)
        {
            Assert.DoesNotContain(token, output, StringComparison.Ordinal);
            foreach (var part in token.Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.DoesNotContain(part, output, StringComparison.Ordinal);
            }
        }
    }

    private static async Task WaitForLogAsync(InProcessServer server, string text)
    {
        var deadline = DateTime.UtcNow + TestDevice.DefaultTimeout;
        while (!server.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the log never showed '{text}':\n{server.Output}");
            await Task.Delay(50);
        }
    }
}
