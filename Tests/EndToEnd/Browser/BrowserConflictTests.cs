using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// A write at the same logical time as the page's shows as a conflict in
/// every page, side by side, and a resolution made in one page clears it in the others.
/// </summary>
[Collection(SecondBrowserLane.Name)]
public sealed class BrowserConflictTests(BrowserFixture browser)
{
    // Greater than any "web-..." id, so the raw device's write is the winner and the page's the sibling.
    private const string RawDevice = "zz-tablet";

    [Fact]
    public async Task EqualTimestampConflictShowsInBothPagesAndKeepThisClearsIt()
    {
        // Arrange: two pages; a writes a note; a raw device writes it at the very timestamp a used.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, RawDevice);
        await using var a = await NotePage.OpenAsync(browser, server);
        await using var b = await NotePage.OpenAsync(browser, server);
        await a.WaitForStatusAsync("connected");
        await b.WaitForStatusAsync("connected");
        await a.CreateNoteAsync("trip/packing", "passport, charger");
        var aDevice = await a.DeviceIdAsync();
        await b.WaitForValueAsync("trip/packing.md", "passport, charger");

        // Act
        await a.ForceConflictAsync(raw, "trip/packing.md", "passport, charger, umbrella");

        // Assert: both pages mark the note, list and editor, with both versions, device and logical time.
        await Assertions.Expect(a.ConflictBadge("trip/packing.md")).ToBeVisibleAsync();
        await Assertions.Expect(b.ConflictBadge("trip/packing.md")).ToBeVisibleAsync();
        await Assertions.Expect(a.Page.Locator("#editor-badge")).ToBeVisibleAsync();
        await Assertions.Expect(a.Version(RawDevice)).ToContainTextAsync("passport, charger, umbrella");
        await Assertions.Expect(a.Version(aDevice)).ToContainTextAsync("passport, charger");
        var timestamp = (await a.WritesAsync("trip/packing.md"))[0].GetProperty("timestamp").GetInt64();
        await Assertions.Expect(a.Version(aDevice)).ToContainTextAsync($"logical time {timestamp}");
        await Assertions.Expect(a.Editor).ToHaveValueAsync("passport, charger, umbrella");
        await a.ScreenshotAsync("conflict-side-by-side");

        // Act: b resolves by keeping a's version.
        await b.OpenFromListAsync("trip/packing.md");
        await b.Version(aDevice).Locator(".keep-this").ClickAsync();

        // Assert: the resolution is a new write that clears the conflict everywhere.
        await Assertions.Expect(a.ConflictBadge("trip/packing.md")).ToHaveCountAsync(0);
        await Assertions.Expect(a.Page.Locator("#conflict-view")).ToBeHiddenAsync();
        await Assertions.Expect(a.Editor).ToHaveValueAsync("passport, charger");
        Assert.False(await b.InConflictAsync("trip/packing.md"));
        await raw.WaitUntilAsync(d => d.StateOf("note:trip/packing.md") is { IsConflict: false, Winner.Value: "passport, charger" }, "the resolution on the raw device");
        Assert.True(raw.StateOf("note:trip/packing.md")!.Timestamp > timestamp);
        await a.ScreenshotAsync("conflict-resolved");
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }

    [Fact]
    public async Task KeepBothAndEditAMergeResolveForEveryPage()
    {
        // Arrange: two notes in conflict, seen by two pages.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, RawDevice);
        await using var a = await NotePage.OpenAsync(browser, server);
        await using var b = await NotePage.OpenAsync(browser, server);
        await a.WaitForStatusAsync("connected");
        await b.WaitForStatusAsync("connected");
        var aDevice = await a.DeviceIdAsync();
        await a.CreateNoteAsync("recipes/soup", "leek and potato");
        await a.ForceConflictAsync(raw, "recipes/soup.md", "tomato");
        await a.CreateNoteAsync("recipes/bread", "flour, water");
        await a.ForceConflictAsync(raw, "recipes/bread.md", "flour, water, salt");
        await Assertions.Expect(b.ConflictBadge("recipes/soup.md")).ToBeVisibleAsync();
        await Assertions.Expect(b.ConflictBadge("recipes/bread.md")).ToBeVisibleAsync();

        // Act: keep both in a (the other version becomes a new note); edit a merge in b.
        await a.OpenFromListAsync("recipes/soup.md");
        await a.Page.Locator("#keep-both").ClickAsync();
        await b.OpenFromListAsync("recipes/bread.md");
        await b.Page.Locator("#edit-merge").ClickAsync();
        await Assertions.Expect(b.Editor).ToHaveValueAsync("flour, water, salt\n\nflour, water");
        await b.Editor.FillAsync("flour, water, salt, yeast");
        await b.Page.Keyboard.PressAsync("Control+KeyS");

        // Assert: in both pages, no conflict is left; soup is the shown version and a's is a note of its own.
        foreach (var page in new[] { a, b })
        {
            await page.WaitForValueAsync("recipes/soup.md", "tomato");
            await page.WaitForValueAsync($"recipes/soup ({aDevice}).md", "leek and potato");
            await page.WaitForValueAsync("recipes/bread.md", "flour, water, salt, yeast");
            Assert.False(await page.InConflictAsync("recipes/soup.md"));
            Assert.False(await page.InConflictAsync("recipes/bread.md"));
            await Assertions.Expect(page.Page.Locator(".note-item .badge.conflict")).ToHaveCountAsync(0);
        }

        await raw.WaitForValueAsync("note:recipes/bread.md", "flour, water, salt, yeast");
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }
}
