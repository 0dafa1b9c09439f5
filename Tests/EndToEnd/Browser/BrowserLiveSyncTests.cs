using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>Issue 6, item 4: two pages, and a page and the .NET client, see each other's edits as they happen.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserLiveSyncTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task TwoPagesSyncLive()
    {
        // Arrange: one server, two browser profiles (two devices).
        await using var server = await ServerProcess.StartAsync();
        await using var a = await NotePage.OpenAsync(browser, server);
        await using var b = await NotePage.OpenAsync(browser, server);
        await a.WaitForStatusAsync("connected");
        await b.WaitForStatusAsync("connected");

        // Act: a creates a note; b edits it back.
        await a.CreateNoteAsync("work/plans", "ship the web page");
        await Assertions.Expect(b.Item("work/plans")).ToBeVisibleAsync();
        await b.Item("work/plans").ClickAsync();
        await Assertions.Expect(b.Editor).ToHaveValueAsync("ship the web page");
        await b.EditAsync("work/plans", "ship the web page\nthen the CLI");

        // Assert: a's open editor follows b's edit live; both are synced, with nothing unsent.
        await Assertions.Expect(a.Editor).ToHaveValueAsync("ship the web page\nthen the CLI");
        await a.WaitForStatusAsync("connected");
        Assert.Equal(0, await a.UnsentAsync());
        Assert.NotEqual(await a.DeviceIdAsync(), await b.DeviceIdAsync());
        Assert.StartsWith("web-", await a.DeviceIdAsync(), StringComparison.Ordinal);
        await Assertions.Expect(a.Page.Locator("#note-list .folder[data-folder=\"work\"]")).ToBeVisibleAsync();
        await a.ScreenshotAsync("live-two-pages-a");
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }
}
