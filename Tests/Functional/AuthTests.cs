using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// JWT auth (docs/security.md) on every transport: each bad token gets its exact status and error
/// code on the upgrade or request, the server stays healthy, and a valid token still syncs. One server
/// (with <c>iss</c> and <c>aud</c> configured) serves the whole class.
/// </summary>
public sealed class AuthTests(AuthTests.AuthServer fixture) : IClassFixture<AuthTests.AuthServer>
{
    private const string Issuer = "notesync-tests";
    private const string Audience = "notesync";
    private static readonly string[] TwoSpaces = ["alice", "bob"];
    private static readonly string[] OneSpaceInAnArray = ["alice"];

    // A signed token that asks the server to understand an extension it has never heard of (RFC 7515 §4.1.11).
    private static readonly Dictionary<string, object> CritHeader = new() { ["crit"] = new[] { "notesync-ext" }, ["notesync-ext"] = true };

    /// <summary>One auth-on server for the class.</summary>
    public sealed class AuthServer : IAsyncLifetime
    {
        internal InProcessServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await InProcessServer.StartAsync(TestTokens.Settings(Issuer, Audience));

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    private InProcessServer Server => fixture.Server;

    private static string Valid(string space, string? deviceId = null, DateTimeOffset? expires = null) =>
        TestTokens.Mint(space, deviceId, expires, issuer: Issuer, audience: Audience);

    /// <summary>Each bad token: (token or null, status, code, part of the message).</summary>
    private static (string? Token, HttpStatusCode Status, string Code, string Message) Case(string name) => name switch
    {
        "no token" => (null, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "a token is required"),
        "not a jwt" => ("not-a-jwt", HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "the token is not a well-formed JWT"),
        "alg none" => (TestTokens.AlgNone("alice", Issuer, Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "signature"),
        "wrong key" => (TestTokens.Mint("alice", key: TestTokens.WrongKey, issuer: Issuer, audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "signature"),
        "expired 6 minutes ago" => (Valid("alice", expires: DateTimeOffset.UtcNow.AddMinutes(-6)), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "expired"),
        "nbf in the future" => (TestTokens.Mint("alice", notBefore: DateTimeOffset.UtcNow.AddMinutes(2), issuer: Issuer, audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "not valid yet"),
        "wrong iss" => (TestTokens.Mint("alice", issuer: "someone-else", audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "issuer"),
        "no iss" => (TestTokens.Mint("alice", audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "issuer"),
        "wrong aud" => (TestTokens.Mint("alice", issuer: Issuer, audience: "another-service"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "audience"),
        "missing space" => (TestTokens.Mint(TestTokens.NoSpace, issuer: Issuer, audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "space claim"),
        "empty space" => (Valid(string.Empty), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "space claim"),
        "array space" => (TestTokens.Mint(TwoSpaces, issuer: Issuer, audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "space claim"),
        "one-element array space" => (TestTokens.Mint(OneSpaceInAnArray, issuer: Issuer, audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "space claim"),
        "unknown crit header" => (TestTokens.Mint("alice", issuer: Issuer, audience: Audience, headers: CritHeader), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "critical header"),
        "numeric space" => (TestTokens.Mint(42, issuer: Issuer, audience: Audience), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "space claim"),
        "device_id mismatch" => (Valid("alice", deviceId: "someone-else"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden, "another device"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public static TheoryData<string, string> BadTokensOnEveryTransport()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in new[] { "no token", "not a jwt", "alg none", "wrong key", "expired 6 minutes ago", "nbf in the future", "wrong iss", "no iss", "wrong aud", "missing space", "empty space", "array space", "one-element array space", "unknown crit header", "numeric space", "device_id mismatch" })
        {
            foreach (var transport in new[] { "ws", "hub", "http" })
            {
                data.Add(name, transport);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadTokensOnEveryTransport))]
    public async Task BadTokenIsRefusedWithItsStatusAndCodeAndTheServerKeepsSyncing(string name, string transport)
    {
        // Arrange
        var (token, status, code, message) = Case(name);

        // Act
        var (actualStatus, error, wwwAuthenticate) = await SendAsync(transport, "dev", token);

        // Assert: the exact answer, a message that does not quote the token, and a healthy server.
        Assert.Equal(status, actualStatus);
        Assert.Equal(code, error?.Code);
        Assert.Contains(message, error!.Message, StringComparison.Ordinal);
        if (token is not null)
        {
            Assert.DoesNotContain(token, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(status == HttpStatusCode.Unauthorized, wwwAuthenticate);
        await AssertHealthyAndSyncingAsync();
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("hub")]
    [InlineData("http")]
    public async Task ValidTokenSyncsOnEveryTransport(string transport)
    {
        var space = $"valid-{transport}-{Guid.NewGuid():N}";
        var (status, _, _) = await SendAsync(transport, "dev", Valid(space, deviceId: "dev"));

        Assert.Equal(transport == "http" ? HttpStatusCode.OK : HttpStatusCode.SwitchingProtocols, status);
        await AssertHealthyAndSyncingAsync();
    }

    [Fact]
    public async Task QueryTokenOnPostSyncIsRefusedEvenWhenValid()
    {
        // Arrange: a token that would be accepted in the header.
        var token = Valid("alice");
        using var http = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        // Act
        using var response = await http.PostAsJsonAsync($"sync?device_id=dev&access_token={token}", new SyncPush(), NoteSyncJsonContext.Default.SyncPush);
        var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);

        // Assert: 401 with a message saying where a token goes; even with a header beside it.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ErrorCodes.Unauthorized, error?.Code);
        Assert.Contains("access_token in the query is accepted on /ws/sync and /hubs/sync only", error!.Message, StringComparison.Ordinal);
        using var both = new HttpRequestMessage(HttpMethod.Post, $"sync?device_id=dev&access_token={token}") { Content = JsonContent.Create(new SyncPush(), NoteSyncJsonContext.Default.SyncPush) };
        both.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var bothResponse = await http.SendAsync(both);
        Assert.Equal(HttpStatusCode.Unauthorized, bothResponse.StatusCode);
        await AssertHealthyAndSyncingAsync();
    }

    [Fact]
    public async Task RealClientsAreRefusedWithoutAValidToken()
    {
        var expired = Valid("alice", expires: DateTimeOffset.UtcNow.AddMinutes(-6));

        await Assert.ThrowsAsync<WebSocketException>(() => WsDevice.ConnectAsync(Server, "dev", token: expired));
        await Assert.ThrowsAsync<WebSocketException>(() => WsDevice.ConnectAsync(Server, "dev"));
        var hub = await Assert.ThrowsAnyAsync<Exception>(() => HubDevice.ConnectAsync(Server, "dev", messagePack: false, token: expired));
        Assert.Contains("401", hub.ToString(), StringComparison.Ordinal);
        await using var http = HttpDevice.Create(Server, "dev", expired);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.PullAsync());
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        await AssertHealthyAndSyncingAsync();
    }

    [Fact]
    public async Task DuringAKeyRotationTokensOfThePreviousKeyStillWorkAndOthersDoNot()
    {
        // Arrange: a server whose key was rotated: the test key is now the previous one.
        const string newKey = "notesync-rotated-signing-key-0123456789-abcdefgh";
        var settings = TestTokens.Settings();
        settings["NoteSync__Auth__SigningKey"] = newKey;
        settings["NoteSync__Auth__PreviousSigningKeys__0"] = TestTokens.Key;
        await using var rotated = await InProcessServer.StartAsync(settings);
        var space = $"rotated-{Guid.NewGuid():N}";

        // Act
        await using var old = HttpDevice.Create(rotated, "old", TestTokens.Mint(space));
        await using var current = HttpDevice.Create(rotated, "new", TestTokens.Mint(space, key: newKey));
        await old.PutAsync("note:old-key", "v");
        await current.PullAsync();
        var unknown = await Assert.ThrowsAsync<HttpRequestException>(() => HttpDevice.Create(rotated, "x", TestTokens.Mint(space, key: TestTokens.WrongKey)).PullAsync());

        // Assert
        Assert.Equal("v", current.ValueOf("note:old-key"));
        Assert.Contains("401", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenInTheAuthorizationHeaderWorksOnTheWebSocket()
    {
        var space = $"header-{Guid.NewGuid():N}";
        await using var device = await WsDevice.ConnectAsync(Server, "dev", token: Valid(space), tokenInHeader: true);
        await using var reader = HttpDevice.Create(Server, "reader", Valid(space));

        await device.PutAsync("note:via-header", "v");
        await reader.PullAsync();

        Assert.Equal("v", reader.ValueOf("note:via-header"));
    }

    [Fact]
    public async Task RawWebSocketWhoseTokenExpiresIsClosedWith1008AndServedNothingAfter()
    {
        // Arrange: a device whose token expires in 4-5 s (time enough to connect and sync first on a loaded machine), and a writer in its space with a long one.
        var space = $"expiring-ws-{Guid.NewGuid():N}";
        var exp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        await using var expiring = await WsDevice.ConnectAsync(Server, "short", token: Valid(space, expires: exp));
        await using var writer = await WsDevice.ConnectAsync(Server, "writer", token: Valid(space));
        var received = ReceivedKeys(expiring);
        await expiring.PullAsync();
        await writer.PutAsync("note:before", "live");
        await expiring.WaitForValueAsync("note:before", "live");

        // Act: the writer keeps writing across the expiry.
        var closed = expiring.Closed;
        var writtenAfterExp = await WriteUntilAsync(writer, closed, exp);
        var status = await closed.WaitAsync(TestDevice.DefaultTimeout);

        // Assert: closed with 1008, not before exp; no write made after exp reached the device (its
        // live push could only have been sent after exp); the writer still syncs and a new token for
        // the same device sees everything.
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.True(DateTimeOffset.UtcNow >= exp, "closed before the token expired");
        lock (received)
        {
            Assert.Empty(received.Intersect(writtenAfterExp));
        }

        await writer.PutAsync("note:after", "v");
        await using var renewed = await WsDevice.ConnectAsync(Server, "short", token: Valid(space));
        await renewed.PullAsync();
        Assert.Equal("v", renewed.ValueOf("note:after"));
        Assert.Equal("live", renewed.ValueOf("note:before"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HubConnectionWhoseTokenExpiresIsClosed(bool messagePack)
    {
        // Arrange
        var space = $"expiring-hub-{Guid.NewGuid():N}";
        var exp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        await using var expiring = await HubDevice.ConnectAsync(Server, "short", messagePack, Valid(space, expires: exp));
        await using var writer = HttpDevice.Create(Server, "writer", Valid(space));
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        expiring.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        var received = ReceivedKeys(expiring);
        await expiring.PullAsync();
        await writer.PutAsync("note:before", "live");
        await expiring.WaitForValueAsync("note:before", "live");

        // Act: the writer keeps writing across the expiry.
        var writtenAfterExp = await WriteUntilAsync(writer, closed.Task, exp);
        await closed.Task.WaitAsync(TestDevice.DefaultTimeout);

        // Assert: closed, not before exp; no write made after exp reached it; a push on it fails; the
        // space still syncs.
        Assert.True(DateTimeOffset.UtcNow >= exp, "closed before the token expired");
        lock (received)
        {
            Assert.Empty(received.Intersect(writtenAfterExp));
        }

        Assert.Equal(HubConnectionState.Disconnected, expiring.Connection.State);
        await Assert.ThrowsAnyAsync<Exception>(() => expiring.PutAsync("note:late", "v"));
        await writer.PutAsync("note:after", "v");
        await using var renewed = await HubDevice.ConnectAsync(Server, "short", messagePack, Valid(space));
        await renewed.PullAsync();
        Assert.Equal("v", renewed.ValueOf("note:after"));
        Assert.Null(renewed.ValueOf("note:late"));
    }

    /// <summary>The keys of every change <paramref name="device"/> receives (lock the set to read it).</summary>
    private static HashSet<string> ReceivedKeys(TestDevice device)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        device.AckObserver = ack =>
        {
            lock (keys)
            {
                keys.UnionWith(ack.Changes.Select(c => c.Key));
            }
        };
        return keys;
    }

    /// <summary>Writes a note every 50 ms until <paramref name="closed"/> completes; returns the keys whose push started after <paramref name="exp"/>.</summary>
    private static async Task<List<string>> WriteUntilAsync(TestDevice writer, Task closed, DateTimeOffset exp)
    {
        var afterExp = new List<string>();
        for (var i = 0; !closed.IsCompleted && DateTimeOffset.UtcNow < exp.AddSeconds(10); i++)
        {
            var key = $"note:w{i}";
            if (DateTimeOffset.UtcNow >= exp)
            {
                afterExp.Add(key);
            }

            await writer.PutAsync(key, "v");

            // A trickle, not a flood: the writes span the expiry without meeting the rate limit.
            await Task.Delay(50);
        }

        return afterExp;
    }

    /// <summary>
    /// Sends the transport's opening request with <paramref name="token"/> (query on the WebSocket
    /// endpoints, header on <c>POST /sync</c>): a WebSocket upgrade, or an empty push.
    /// </summary>
    private async Task<(HttpStatusCode Status, ErrorFrame? Error, bool WwwAuthenticate)> SendAsync(string transport, string deviceId, string? token)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        var query = $"device_id={deviceId}" + (token is not null && transport != "http" ? $"&access_token={Uri.EscapeDataString(token)}" : string.Empty);
        using var request = transport switch
        {
            "http" => new HttpRequestMessage(HttpMethod.Post, $"sync?{query}") { Content = JsonContent.Create(new SyncPush(), NoteSyncJsonContext.Default.SyncPush) },
            "ws" => UpgradeRequests.Create($"ws/sync?{query}"),
            _ => UpgradeRequests.Create($"hubs/sync?{query}"),
        };
        if (token is not null && transport == "http")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols || response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null, false);
        }

        var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
        return (response.StatusCode, error, response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer"));
    }

    /// <summary>The server answers <c>/healthz</c> and a valid token writes on one transport and reads on the others.</summary>
    private async Task AssertHealthyAndSyncingAsync()
    {
        using var http = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);

        var space = $"healthy-{Guid.NewGuid():N}";
        await using var ws = await WsDevice.ConnectAsync(Server, "ws", token: Valid(space, deviceId: "ws"));
        await using var hub = await HubDevice.ConnectAsync(Server, "hub", messagePack: true, Valid(space));
        await using var poller = HttpDevice.Create(Server, "poller", Valid(space, deviceId: "poller"));
        await hub.PullAsync();
        await ws.PutAsync("note:check", "ok");
        await hub.WaitForValueAsync("note:check", "ok");
        await poller.PullAsync();
        Assert.Equal("ok", poller.ValueOf("note:check"));
    }
}
