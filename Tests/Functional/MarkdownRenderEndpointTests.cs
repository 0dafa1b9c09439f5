using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// <c>POST /sync/render</c>, the page's Markdown preview (docs/web.md, Markdown preview), through a real
/// server: it answers the note's HTML, and refuses as the other HTTP endpoints do, with their error object:
/// no token, a foreign origin, over the push budget, not text, over <c>NoteSync:Limits:MaxRenderBytes</c>.
/// </summary>
public sealed class MarkdownRenderEndpointTests
{
    private const string Note = "# Trip\n\n- passport\n- socks\n\n<script>window.__md=1</script>\n\n[click](javascript:window.__md=3)";

    [Fact]
    public async Task ItAnswersTheNotesHtmlWithNothingThatRuns()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = Client(server);

        using var response = await http.PostAsync("sync/render?device_id=laptop", Text(Note));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1>Trip</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<li>passport</li>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;window.__md=1&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("sandbox; default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task WithAuthOnItNeedsTheTokenAsTheSyncEndpointsDo()
    {
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        using var http = Client(server);

        using var unsigned = await http.PostAsync("sync/render?device_id=laptop", Text(Note));
        using var signedRequest = new HttpRequestMessage(HttpMethod.Post, "sync/render?device_id=laptop") { Content = Text(Note) };
        signedRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Mint("alice"));
        using var signed = await http.SendAsync(signedRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal("Bearer", unsigned.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(ErrorCodes.Unauthorized, (await ErrorOf(unsigned)).Code);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Contains("<h1>Trip</h1>", await signed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MarkdownOverTheLimitIs413WithTheTooLargeErrorWhetherOrNotItsLengthIsSaid()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxRenderBytes"] = "2048" });
        using var http = Client(server);
        var justFits = new string('a', 2048);
        var over = new string('a', 2049);

        using var fits = await http.PostAsync("sync/render?device_id=laptop", Text(justFits));
        using var declared = await http.PostAsync("sync/render?device_id=laptop", Text(over));
        using var chunkedContent = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(over + over)));
        chunkedContent.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, "sync/render?device_id=laptop") { Content = chunkedContent };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        using var chunked = await http.SendAsync(chunkedRequest);

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        foreach (var refused in new[] { declared, chunked })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            var error = await ErrorOf(refused);
            Assert.Equal((ErrorCodes.TooLarge, "the preview renders at most 2048 bytes of Markdown (NoteSync:Limits:MaxRenderBytes)"), (error.Code, error.Message));
        }
    }

    [Fact]
    public async Task AForeignOriginABodyThatIsNotTextAndTooDeepANestingAreRefused()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = Client(server);
        using var foreignRequest = new HttpRequestMessage(HttpMethod.Post, "sync/render?device_id=laptop") { Content = Text(Note) };
        foreignRequest.Headers.Add("Origin", "https://evil.example");

        using var foreign = await http.SendAsync(foreignRequest);
        using var json = await http.PostAsJsonAsync("sync/render?device_id=laptop", new { markdown = Note });
        using var deep = await http.PostAsync("sync/render?device_id=laptop", Text(new string('>', 1000) + " x"));
        using var noDevice = await http.PostAsync("sync/render", Text(Note));

        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(ErrorCodes.Forbidden, (await ErrorOf(foreign)).Code);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("the body must be text/plain or text/markdown in UTF-8", (await ErrorOf(json)).Message);
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        Assert.Contains("nests more than 128 levels", (await ErrorOf(deep)).Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noDevice.StatusCode);
    }

    [Fact]
    public async Task EachRenderSpendsOneOfTheDevicesPushBudget()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Limits__PushesPerSecond"] = "1",
            ["NoteSync__Limits__PushBurst"] = "1",
        });
        using var http = Client(server);

        using var first = await http.PostAsync("sync/render?device_id=laptop", Text(Note));
        using var second = await http.PostAsync("sync/render?device_id=laptop", Text(Note));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(ErrorCodes.RateLimited, (await ErrorOf(second)).Code);
        Assert.NotNull(second.Headers.RetryAfter);
    }

    private static HttpClient Client(InProcessServer server) => new() { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

    private static StringContent Text(string markdown) => new(markdown, Encoding.UTF8, "text/plain");

    private static async Task<ErrorFrame> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Wire.ErrorFrame))!;
}
