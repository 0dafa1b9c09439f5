using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>The page can be installed (a web app manifest) and opens without the network from its service worker's cache, with the notes of its replica.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserInstallTests(BrowserFixture browser)
{
    [Fact]
    public async Task OnceLoadedThePageOpensWithItsNotesWhenTheServerIsGone()
    {
        // Arrange: a page online, with a note the server has; its service worker has kept the page's files.
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server, serviceWorker: true);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("trip/packing", "passport, charger");
        await page.WaitForNothingUnsentAsync();
        await page.Page.WaitForFunctionAsync("() => document.body.dataset.offlineReady === 'true' && navigator.serviceWorker.controller !== null");

        // The manifest is served as one, and says what an installed app needs.
        using (var http = new HttpClient { BaseAddress = server.BaseUri })
        {
            using var response = await http.GetAsync(new Uri("manifest.webmanifest", UriKind.Relative));
            response.EnsureSuccessStatusCode();
            Assert.Equal("application/manifest+json", response.Content.Headers.ContentType?.MediaType);
            var manifest = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("NoteSync", manifest.GetProperty("name").GetString());
            Assert.Equal("standalone", manifest.GetProperty("display").GetString());
            Assert.Equal("./", manifest.GetProperty("start_url").GetString());
            var icon = manifest.GetProperty("icons")[0].GetProperty("src").GetString();
            using var iconResponse = await http.GetAsync(new Uri(icon!, UriKind.Relative));
            Assert.Equal("image/svg+xml", iconResponse.Content.Headers.ContentType?.MediaType);
        }

        // Act: the server goes away, and the page is loaded again.
        await server.StopAsync();
        await page.LoadAsync();

        // Assert: the page opened from the cache, lists the note from its replica, and says it is offline.
        await Assertions.Expect(page.Item("trip/packing.md")).ToBeVisibleAsync();
        await page.OpenFromListAsync("trip/packing.md");
        await Assertions.Expect(page.Editor).ToHaveValueAsync("passport, charger");
        await Assertions.Expect(page.Status).Not.ToHaveAttributeAsync("data-state", "connected");
        await page.ScreenshotAsync("offline-start");

        // Sync traffic never came from the cache: nothing under /sync or /ws is kept.
        var kept = await page.Page.EvaluateAsync<string[]>("async () => (await Promise.all((await caches.keys()).map(async n => (await (await caches.open(n)).keys()).map(r => new URL(r.url).pathname)))).flat()");
        Assert.Contains("/", kept);
        Assert.Contains("/app.js", kept);
        Assert.Contains("/styles.css", kept);
        Assert.DoesNotContain(kept, p => p.StartsWith("/sync", StringComparison.Ordinal) || p.StartsWith("/ws", StringComparison.Ordinal) || p.StartsWith("/hubs", StringComparison.Ordinal));
    }
}
