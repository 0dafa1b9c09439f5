using System.Net;
using System.Net.Http.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Browser origins (docs/security.md): a WebSocket upgrade or a sync request from a foreign
/// <c>Origin</c> gets 403; no <c>Origin</c>, the server's own, or one of <c>NoteSync:AllowedOrigins</c>
/// is let through; CORS answers only the listed origins. A rebinding <c>Host</c>: <see cref="RebindingTests"/>.
/// </summary>
public sealed class OriginTests
{
    private const string Allowed = "https://notes.example.com";
    private const string Foreign = "https://evil.example";

    private static Dictionary<string, string> Settings(bool auth)
    {
        var settings = auth ? TestTokens.Settings() : [];
        settings["NoteSync__AllowedOrigins__0"] = Allowed;
        return settings;
    }

    [Theory]
    [InlineData("ws/sync", false)]
    [InlineData("hubs/sync", false)]
    [InlineData("ws/sync", true)]
    [InlineData("hubs/sync", true)]
    public async Task WebSocketFromAForeignOriginIsForbiddenAndOthersPass(string path, bool auth)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync(Settings(auth));
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        var query = $"{path}?device_id=dev" + (auth ? $"&access_token={TestTokens.Mint("alice")}" : string.Empty);
        var own = $"http://127.0.0.1:{server.Port}";

        // Act
        async Task<HttpResponseMessage> UpgradeAsync(string? origin) =>
            await http.SendAsync(UpgradeRequests.Create(query, origin), HttpCompletionOption.ResponseHeadersRead);
        using var foreign = await UpgradeAsync(Foreign);
        using var nullOrigin = await UpgradeAsync("null");
        using var lookalike = await UpgradeAsync("https://notes.example.com.evil.example");
        using var listed = await UpgradeAsync(Allowed);
        using var ownOrigin = await UpgradeAsync(own);
        using var none = await UpgradeAsync(null);
        var error = await foreign.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);

        // Assert: 403 with a forbidden error object for foreign origins, 101 for the others.
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(ErrorCodes.Forbidden, error?.Code);
        Assert.Contains("origin 'https://evil.example' is not allowed", error!.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, nullOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, lookalike.StatusCode);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, listed.StatusCode);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, ownOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, none.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }

    [Theory]
    [InlineData("ws/sync/?device_id=dev")]
    [InlineData("WS/SYNC?device_id=dev")]
    [InlineData("hubs/sync/?device_id=dev")]
    [InlineData("healthz")]
    public async Task NoSpellingOfAPathGetsAForeignWebSocketPastTheCheck(string pathAndQuery)
    {
        await using var server = await InProcessServer.StartAsync(Settings(auth: false));
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        using var response = await http.SendAsync(UpgradeRequests.Create(pathAndQuery, Foreign));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task AnAllowedOriginStillNeedsAToken()
    {
        await using var server = await InProcessServer.StartAsync(Settings(auth: true));
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        using var response = await http.SendAsync(UpgradeRequests.Create("ws/sync?device_id=dev", Allowed));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("hubs/sync/negotiate?negotiateVersion=1")]
    public async Task CorsPreflightIsAnsweredForListedOriginsOnly(string path)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync(Settings(auth: true));
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        HttpRequestMessage Preflight(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Options, path);
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
            return request;
        }

        // Act
        using var foreign = await http.SendAsync(Preflight(Foreign));
        using var listed = await http.SendAsync(Preflight(Allowed));
        using var post = new HttpRequestMessage(HttpMethod.Post, "sync?device_id=dev") { Content = JsonContent.Create(new SyncPush(), NoteSyncJsonContext.Default.SyncPush) };
        post.Headers.Add("Origin", Foreign);
        using var foreignPost = await http.SendAsync(post);

        // Assert: no CORS grant for the foreign origin (the browser then refuses to send or to read),
        // and a request it sends anyway is refused before its token is looked at; the listed origin
        // may send the token header, with credentials.
        Assert.False(foreign.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(Allowed, Assert.Single(listed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("authorization", string.Join(",", listed.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("true", Assert.Single(listed.Headers.GetValues("Access-Control-Allow-Credentials")));
        Assert.False(foreignPost.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreignPost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }
}
