using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// Issue 6, items 2 and 4: a write at the same logical time as the page's shows as a conflict in
/// every page, side by side, and a resolution made in one page clears it in the others.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserConflictTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    // Greater than any "web-..." id, so the raw device's write is the winner and the page's the sibling.
    private const string RawDevice = "zz-tablet";

    [Fact]
    public async Task EqualTimestampConflictShowsInBothPagesAndKeepThisClearsIt()
    {
        // Arrange: two pages; a writes a note; a raw device writes it at the very timestamp a used.
        await using var server = await ServerProcess.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, RawDevice);
        await using var a = await NotePage.OpenAsync(browser, server);
        await using var b = await NotePage.OpenAsync(browser, server);
        await a.WaitForStatusAsync("connected");
        await b.WaitForStatusAsync("connected");
        await a.CreateNoteAsync("trip/packing", "passport, charger");
        var aDevice = await a.DeviceIdAsync();
        await b.WaitForValueAsync("trip/packing", "passport, charger");

        // Act
        await ForceConflictAsync(a, raw, "trip/packing", "passport, charger, umbrella");

        // Assert: both pages mark the note, list and editor, with both versions, device and logical time.
        await Assertions.Expect(a.ConflictBadge("trip/packing")).ToBeVisibleAsync();
        await Assertions.Expect(b.ConflictBadge("trip/packing")).ToBeVisibleAsync();
        await Assertions.Expect(a.Page.Locator("#editor-badge")).ToBeVisibleAsync();
        await Assertions.Expect(a.Version(RawDevice)).ToContainTextAsync("passport, charger, umbrella");
        await Assertions.Expect(a.Version(aDevice)).ToContainTextAsync("passport, charger");
        var timestamp = (await a.WritesAsync("trip/packing"))[0].GetProperty("timestamp").GetInt64();
        await Assertions.Expect(a.Version(aDevice)).ToContainTextAsync($"logical time {timestamp}");
        await Assertions.Expect(a.Editor).ToHaveValueAsync("passport, charger, umbrella");
        await a.ScreenshotAsync("conflict-side-by-side");

        // Act: b resolves by keeping a's version.
        await b.Item("trip/packing").ClickAsync();
        await b.Version(aDevice).Locator(".keep-this").ClickAsync();

        // Assert: the resolution is a new write that clears the conflict everywhere.
        await Assertions.Expect(a.ConflictBadge("trip/packing")).ToHaveCountAsync(0);
        await Assertions.Expect(a.Page.Locator("#conflict-view")).ToBeHiddenAsync();
        await Assertions.Expect(a.Editor).ToHaveValueAsync("passport, charger");
        Assert.False(await b.InConflictAsync("trip/packing"));
        await raw.WaitUntilAsync(d => d.StateOf("note:trip/packing") is { IsConflict: false, Winner.Value: "passport, charger" }, "the resolution on the raw device");
        Assert.True(raw.StateOf("note:trip/packing")!.Timestamp > timestamp);
        await a.ScreenshotAsync("conflict-resolved");
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }

    [Fact]
    public async Task KeepBothAndEditAMergeResolveForEveryPage()
    {
        // Arrange: two notes in conflict, seen by two pages.
        await using var server = await ServerProcess.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, RawDevice);
        await using var a = await NotePage.OpenAsync(browser, server);
        await using var b = await NotePage.OpenAsync(browser, server);
        await a.WaitForStatusAsync("connected");
        await b.WaitForStatusAsync("connected");
        var aDevice = await a.DeviceIdAsync();
        await a.CreateNoteAsync("recipes/soup", "leek and potato");
        await ForceConflictAsync(a, raw, "recipes/soup", "tomato");
        await a.CreateNoteAsync("recipes/bread", "flour, water");
        await ForceConflictAsync(a, raw, "recipes/bread", "flour, water, salt");
        await Assertions.Expect(b.ConflictBadge("recipes/soup")).ToBeVisibleAsync();
        await Assertions.Expect(b.ConflictBadge("recipes/bread")).ToBeVisibleAsync();

        // Act: keep both in a (the other version becomes a new note); edit a merge in b.
        await a.Item("recipes/soup").ClickAsync();
        await a.Page.Locator("#keep-both").ClickAsync();
        await b.Item("recipes/bread").ClickAsync();
        await b.Page.Locator("#edit-merge").ClickAsync();
        await Assertions.Expect(b.Editor).ToHaveValueAsync("flour, water, salt\n\nflour, water");
        await b.Editor.FillAsync("flour, water, salt, yeast");
        await b.Page.Keyboard.PressAsync("Control+KeyS");

        // Assert: in both pages, no conflict is left; soup is the shown version and a's is a note of its own.
        foreach (var page in new[] { a, b })
        {
            await page.WaitForValueAsync("recipes/soup", "tomato");
            await page.WaitForValueAsync($"recipes/soup ({aDevice})", "leek and potato");
            await page.WaitForValueAsync("recipes/bread", "flour, water, salt, yeast");
            Assert.False(await page.InConflictAsync("recipes/soup"));
            Assert.False(await page.InConflictAsync("recipes/bread"));
            await Assertions.Expect(page.Page.Locator(".note-item .badge.conflict")).ToHaveCountAsync(0);
        }

        await raw.WaitForValueAsync("note:recipes/bread", "flour, water, salt, yeast");
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }

    /// <summary>Writes <paramref name="value"/> from the raw device at the timestamp of the page's last write of the note.</summary>
    private static async Task ForceConflictAsync(NotePage page, WsDevice raw, string path, string value)
    {
        var writes = await page.WritesAsync(path);
        Assert.Equal(1, writes.GetArrayLength());
        var timestamp = writes[0].GetProperty("timestamp").GetInt64();
        await raw.PutAsync($"note:{path}", value, timestamp);
        await raw.WaitUntilAsync(d => d.StateOf($"note:{path}")?.IsConflict == true, $"the conflict on {path} at the raw device");
        await page.Page.WaitForFunctionAsync(
            "k => { const w = window.notesync.store.entries.get(k) ?? []; return w.length === 2; }",
            $"note:{path}");
    }
}
