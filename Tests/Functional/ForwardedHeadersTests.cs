using System.Net;
using System.Net.Http.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Behind a TLS-terminating proxy (docs/operations.md, Reverse proxy): the page at
/// <c>https://notes.example.com</c> passes the Origin check when its proxy is trusted
/// (<c>NoteSync:ForwardedHeaders:KnownProxies</c>, loopback by default) and the name is in
/// <c>NoteSync:PublicHosts</c>; a forwarded name that is not the server's is still refused, and
/// the headers of a proxy not trusted are ignored. The tests send from loopback as the proxy would.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string PublicHost = "notes.example.com";
    private const string Page = $"https://{PublicHost}";

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    public async Task ThePageBehindATrustedTlsProxyPassesTheOriginCheck(string endpoint)
    {
        // Arrange: no KnownProxies, so the loopback proxy is trusted.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__PublicHosts__0"] = PublicHost });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        // Act: the page's request as the proxy passes it on, and a rebinding page's through the same proxy.
        using var page = await SendAsync(http, endpoint, PublicHost, Page);
        using var rebound = await SendAsync(http, endpoint, "evil.test", "https://evil.test");

        // Assert
        Assert.Equal(Served(endpoint), page.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rebound.StatusCode);
        var error = await rebound.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
        Assert.Contains("'evil.test' is not a host name of the server", error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    public async Task TheHeadersOfAProxyNotTrustedAreIgnored(string endpoint)
    {
        // Arrange: the only trusted proxy is elsewhere (a documentation address, never contacted).
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__PublicHosts__0"] = PublicHost,
            ["NoteSync__ForwardedHeaders__KnownProxies__0"] = "192.0.2.10",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        // Act
        using var forged = await SendAsync(http, endpoint, PublicHost, Page);
        using var direct = await SendAsync(http, endpoint, forwardedHost: null, $"http://127.0.0.1:{server.Port}");

        // Assert: the request is what reached the server, http on 127.0.0.1, so the https page is foreign.
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        var error = await forged.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
        Assert.Contains($"from origin '{Page}' is not allowed", error!.Message, StringComparison.Ordinal);
        Assert.Equal(Served(endpoint), direct.StatusCode);
    }

    private static HttpStatusCode Served(string endpoint) => endpoint == "ws" ? HttpStatusCode.SwitchingProtocols : HttpStatusCode.OK;

    /// <summary>A browser's opening request from <paramref name="origin"/>, with the headers a TLS proxy adds when <paramref name="forwardedHost"/> is given.</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string endpoint, string? forwardedHost, string origin)
    {
        using var request = endpoint == "ws"
            ? UpgradeRequests.Create("ws/sync?device_id=dev", origin)
            : new HttpRequestMessage(HttpMethod.Post, "sync?device_id=dev") { Content = JsonContent.Create(new SyncPush(), NoteSyncJsonContext.Default.SyncPush) };
        if (endpoint != "ws")
        {
            request.Headers.Add("Origin", origin);
        }

        if (forwardedHost is not null)
        {
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-Host", forwardedHost);
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
