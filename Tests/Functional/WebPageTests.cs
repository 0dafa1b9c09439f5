using System.Net;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The server serves the browser page from the files beside its binary: with auth on
/// or off, without a token, with its security headers; the Origin check still covers every path.
/// </summary>
public sealed class WebPageTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RootServesThePageAndItsModulesWithoutAToken(bool auth)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync(auth ? TestTokens.Settings() : null);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        // Act
        using var root = await http.GetAsync("/");
        var html = await root.Content.ReadAsStringAsync();
        var modules = new Dictionary<string, HttpResponseMessage>();
        foreach (var file in new[] { "app.js", "js/notesync/protocol.js", "store.js", "js/notesync/crdt.js", "styles.css" })
        {
            modules[file] = await http.GetAsync(file);
        }

        // Assert: index.html, no caching across versions, a CSP that allows only the page's own files and
        // connections to its own server (no WebSocket to any other host).
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"app.js\">", html, StringComparison.Ordinal);
        Assert.Equal("no-cache", root.Headers.CacheControl?.ToString());
        var csp = string.Join(";", root.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self';", csp, StringComparison.Ordinal);
        foreach (var (file, response) in modules)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{file}: {response.StatusCode}");
            Assert.Equal(file.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/css", response.Content.Headers.ContentType?.MediaType);
            response.Dispose();
        }

        using var missing = await http.GetAsync("nothing-here.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AForeignUpgradeOnThePagePathIsStillForbidden()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        // Act: a WebSocket upgrade to "/" and to a page file, from a foreign page.
        using var root = await http.SendAsync(UpgradeRequests.Create("/", "https://evil.example"), HttpCompletionOption.ResponseHeadersRead);
        using var file = await http.SendAsync(UpgradeRequests.Create("/app.js", "https://evil.example"), HttpCompletionOption.ResponseHeadersRead);

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, root.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, file.StatusCode);
    }
}
