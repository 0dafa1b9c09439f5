using System.Net;
using System.Net.Http.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// DNS rebinding (docs/security.md, Browser origins): a page on a name its attacker controls, once
/// that name resolves to the server, sends the name as <c>Host</c> and <c>Origin</c> alike. With auth
/// off (the default) it is refused on both WebSocket endpoints, the hub's negotiate and
/// <c>POST /sync</c>; native clients (no <c>Origin</c>) pass whatever their <c>Host</c>, and so do the
/// server's own names (localhost, IP addresses, <c>NoteSync:PublicHosts</c>) and listed origins.
/// </summary>
public sealed class RebindingTests
{
    private const string PublicHost = "notes.test";
    private const string AllowedOrigin = "https://app.notes.test";

    [Theory]
    [InlineData("ws")]
    [InlineData("hub")]
    [InlineData("negotiate")]
    [InlineData("http")]
    public async Task ABrowserOnARebindingNameIsForbiddenAndTheServersOwnNamesPass(string endpoint)
    {
        // Arrange: auth off; one public host name and one listed origin.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__PublicHosts__0"] = PublicHost,
            ["NoteSync__AllowedOrigins__0"] = AllowedOrigin,
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        var port = server.Port;
        async Task<HttpResponseMessage> SendAsync(string host, string? origin)
        {
            using var request = Request(endpoint, host, origin);
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }

        string SameOrigin(string host) => $"http://{host}:{port}";

        // Act: the rebinding page's request, look-alikes of the server's names, and the ones that pass.
        using var rebound = await SendAsync($"evil.test:{port}", SameOrigin("evil.test"));
        using var dottedName = await SendAsync($"127.0.0.1.evil.test:{port}", SameOrigin("127.0.0.1.evil.test"));
        using var localhostSubdomain = await SendAsync($"localhost.evil.test:{port}", SameOrigin("localhost.evil.test"));
        using var foreignOnOwnHost = await SendAsync($"127.0.0.1:{port}", "https://evil.example");
        using var native = await SendAsync($"evil.test:{port}", null);
        using var listedOrigin = await SendAsync($"evil.test:{port}", AllowedOrigin);
        using var publicHost = await SendAsync($"{PublicHost}:{port}", SameOrigin(PublicHost));
        using var publicHostUpperCase = await SendAsync($"NOTES.TEST:{port}", SameOrigin("NOTES.TEST"));
        using var localhost = await SendAsync($"localhost:{port}", SameOrigin("localhost"));
        using var ipv4 = await SendAsync($"127.0.0.1:{port}", SameOrigin("127.0.0.1"));
        using var ipv6 = await SendAsync($"[::1]:{port}", SameOrigin("[::1]"));

        // Assert: 403 with a forbidden error object naming the host; every other case is served.
        Assert.Equal(HttpStatusCode.Forbidden, rebound.StatusCode);
        var error = await rebound.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
        Assert.Equal(ErrorCodes.Forbidden, error?.Code);
        Assert.Contains($"from origin 'http://evil.test:{port}' is not allowed", error!.Message, StringComparison.Ordinal);
        Assert.Contains("'evil.test' is not a host name of the server", error.Message, StringComparison.Ordinal);
        Assert.Contains("NoteSync:PublicHosts", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, dottedName.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, localhostSubdomain.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreignOnOwnHost.StatusCode);
        var served = endpoint is "ws" or "hub" ? HttpStatusCode.SwitchingProtocols : HttpStatusCode.OK;
        Assert.Equal(served, native.StatusCode);
        Assert.Equal(served, listedOrigin.StatusCode);
        Assert.Equal(served, publicHost.StatusCode);
        Assert.Equal(served, publicHostUpperCase.StatusCode);
        Assert.Equal(served, localhost.StatusCode);
        Assert.Equal(served, ipv4.StatusCode);
        Assert.Equal(served, ipv6.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }

    [Fact]
    public async Task ThePageIsServedUnderAnyNameButItsSyncIsNot()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        var host = $"evil.test:{server.Port}";
        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Host = host;

        // Act: the page under the rebinding name (it holds no data), then what it would do next.
        using var pageResponse = await http.SendAsync(page);
        using var push = Request("http", host, $"http://{host}");
        using var pushResponse = await http.SendAsync(push);

        // Assert
        Assert.Equal(HttpStatusCode.OK, pageResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, pushResponse.StatusCode);
    }

    /// <summary>The opening request of <paramref name="endpoint"/> as a browser on <paramref name="origin"/> sends it to <paramref name="host"/>.</summary>
    private static HttpRequestMessage Request(string endpoint, string host, string? origin)
    {
        var request = endpoint switch
        {
            "ws" => UpgradeRequests.Create("ws/sync?device_id=dev", origin),
            "hub" => UpgradeRequests.Create("hubs/sync?device_id=dev", origin),
            "negotiate" => new HttpRequestMessage(HttpMethod.Post, "hubs/sync/negotiate?negotiateVersion=1&device_id=dev"),
            _ => new HttpRequestMessage(HttpMethod.Post, "sync?device_id=dev") { Content = JsonContent.Create(new SyncPush(), NoteSyncJsonContext.Default.SyncPush) },
        };
        if (origin is not null && endpoint is "negotiate" or "http")
        {
            request.Headers.Add("Origin", origin);
        }

        request.Headers.Host = host;
        return request;
    }
}
