using Microsoft.Playwright;
using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// A space of 2,000 notes loads into the page (from the server, then from IndexedDB
/// on a reload) and the list stays responsive to the search box. The figures are printed; the
/// bounds are loose on purpose (a 2-core machine shared with other work), they catch a page that hangs.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserLoadTests(BrowserFixture browser, ITestOutputHelper output)
{
    private const int Notes = 2_000;
    private const double FilterBoundMs = 1_000;

    [Fact]
    public async Task TwoThousandNotesLoadAndSearchStaysResponsive()
    {
        // Arrange: 2,000 notes in 20 folders, written by a raw device in one push.
        await using var server = await InProcessServer.StartAsync();
        await using (var seeder = await WsDevice.ConnectAsync(server, "seeder"))
        {
            await seeder.PutManyAsync(Enumerable.Range(0, Notes).Select(i =>
                ($"note:folder-{i % 20:D2}/note-{i:D4}", (string?)$"Note {i:D4}\nSome text about topic {i % 97}, long enough to look like a note.")));
        }

        // Act: a fresh page catches up; then it is reloaded and starts from IndexedDB.
        await using var page = await NotePage.OpenAsync(browser, server);
        await Assertions.Expect(page.Page.Locator("#note-list")).ToHaveAttributeAsync("data-count", $"{Notes}");
        var firstOpenMs = await page.Page.EvaluateAsync<double>($"() => window.notesync.metrics.renders.find(r => r.notes === {Notes}).ms");
        await page.ReloadAsync();
        var reloadRenderMs = await page.Page.EvaluateAsync<double>("() => window.notesync.metrics.firstRenderMs");
        var reloadNotes = await page.Page.EvaluateAsync<int>("() => window.notesync.metrics.firstRenderNotes");
        await page.Page.Locator("#search").FillAsync("note-1234");
        await Assertions.Expect(page.Page.Locator("#note-list")).ToHaveAttributeAsync("data-count", "1");
        var filterMs = await page.Page.EvaluateAsync<double>("() => window.notesync.metrics.lastFilterMs");
        await page.Page.Locator("#search").FillAsync("topic 42,");
        await Assertions.Expect(page.Page.Locator("#note-list")).ToHaveAttributeAsync("data-count", $"{Enumerable.Range(0, Notes).Count(i => i % 97 == 42)}");
        var contentFilterMs = await page.Page.EvaluateAsync<double>("() => window.notesync.metrics.lastFilterMs");
        await page.ScreenshotAsync("search-2000-notes");
        await page.Page.Locator("#search").FillAsync("");
        await Assertions.Expect(page.Page.Locator("#note-list")).ToHaveAttributeAsync("data-count", $"{Notes}");
        var unfilterMs = await page.Page.EvaluateAsync<double>("() => window.notesync.metrics.lastFilterMs");
        output.WriteLine($"2,000 notes: list rendered {firstOpenMs:F0} ms after navigation on first open (catch-up over /ws/sync), " +
            $"{reloadRenderMs:F0} ms after a reload (from IndexedDB); search by title {filterMs:F1} ms, by content {contentFilterMs:F1} ms, cleared {unfilterMs:F1} ms");

        // Assert: the reload rendered every note at once from IndexedDB, and the search filters within the bound.
        Assert.Equal(Notes, reloadNotes);
        Assert.InRange(filterMs, 0, FilterBoundMs);
        Assert.InRange(contentFilterMs, 0, FilterBoundMs);
        Assert.InRange(unfilterMs, 0, FilterBoundMs);
        Assert.Empty(page.Errors);
    }
}
