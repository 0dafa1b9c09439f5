using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// A write at the same logical time as the page's, or an edit that did not see the page's (whatever the
/// clocks), shows as a conflict in every page, side by side, and a resolution made in one page clears it
/// in the others.
/// </summary>
[Collection(SerialBrowsers.Name)]
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnOfflineEditAndAnOnlineEditOfOneVersionAreBothKeptWhateverTheClocks(bool pageClockAhead)
    {
        // Arrange: the phone writes trip.md; the page holds it, and has seen a later write elsewhere, so its clock
        // is well past the note's.
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, RawDevice);
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        var pageDevice = await page.DeviceIdAsync();
        await phone.EditAsync("note:trip.md", "v1");
        var v1 = phone.StateOf("note:trip.md")!.Timestamp;
        await phone.PutAsync("note:elsewhere.md", "tick", v1 + 100);
        await page.WaitForValueAsync("trip.md", "v1");
        await page.WaitForValueAsync("elsewhere.md", "tick");

        // Act: the page edits v1 on the train; the phone edits v1 online, with a timestamp below the page's edit
        // or above it; the page comes back.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("trip.md", "page's edit");
        var pageStamp = (await page.WritesAsync("trip.md"))[0].GetProperty("timestamp").GetInt64();
        await phone.EditAsync("note:trip.md", "phone's edit", timestamp: pageClockAhead ? v1 + 1 : pageStamp + 500);
        await page.Context.SetOfflineAsync(false);

        // Assert: both edits are heads, in the page and on the phone; the higher timestamp shows and the other
        // is its sibling, with a lower timestamp, shown side by side.
        var (shown, sibling) = pageClockAhead ? ("page's edit", "phone's edit") : ("phone's edit", "page's edit");
        await page.WaitForNothingUnsentAsync();
        await Assertions.Expect(page.ConflictBadge("trip.md")).ToBeVisibleAsync();
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToHaveAttributeAsync("data-kind", "conflict");
        await Assertions.Expect(page.Version(pageDevice)).ToContainTextAsync("page's edit");
        await Assertions.Expect(page.Version(RawDevice)).ToContainTextAsync("phone's edit");
        await Assertions.Expect(page.Editor).ToHaveValueAsync(shown);
        var heads = await page.WritesAsync("trip.md");
        Assert.Equal(2, heads.GetArrayLength());
        Assert.Equal(shown, heads[0].GetProperty("value").GetString());
        Assert.True(heads[1].GetProperty("timestamp").GetInt64() < heads[0].GetProperty("timestamp").GetInt64(), $"the sibling is not below the winner: {heads}");
        await phone.WaitUntilAsync(d => d.StateOf("note:trip.md") is { IsConflict: true } s && s.Winner.Value == shown && s.Siblings.Single().Value == sibling, "the conflict on the phone");
        await page.ScreenshotAsync($"conflict-train-page-{(pageClockAhead ? "ahead" : "behind")}");

        // Act: the page keeps the sibling, the edit with the lower timestamp.
        await page.Version(pageClockAhead ? RawDevice : pageDevice).Locator(".keep-this").ClickAsync();

        // Assert: resolved in the page and on the phone, one head each.
        await Assertions.Expect(page.ConflictBadge("trip.md")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToBeHiddenAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync(sibling);
        await phone.WaitUntilAsync(d => d.StateOf("note:trip.md") is { IsConflict: false, Writes.Length: 1 } s && s.Winner.Value == sibling, "the resolution on the phone");
        Assert.Equal(1, (await page.WritesAsync("trip.md")).GetArrayLength());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task TwoOfflineEditsOfANoteReplaceWhatTheFirstEditReplaced()
    {
        // Arrange: the phone writes a note; the page holds it.
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, RawDevice);
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await phone.EditAsync("note:list.md", "eggs");
        await page.WaitForValueAsync("list.md", "eggs");

        // Act: offline, the page edits it twice (the second edit replaces the first in the outbox), then comes back.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("list.md", "eggs, milk");
        await page.EditAsync("list.md", "eggs, milk, bread");
        Assert.Equal(1, await page.UnsentAsync());
        await page.Context.SetOfflineAsync(false);

        // Assert: the edit that went up replaced the phone's version too: no conflict anywhere.
        await page.WaitForNothingUnsentAsync();
        await phone.WaitUntilAsync(d => d.StateOf("note:list.md") is { Writes.Length: 1 } s && s.Winner.Value == "eggs, milk, bread", "the page's last edit alone on the phone");
        await page.WaitForValueAsync("list.md", "eggs, milk, bread");
        Assert.Equal(1, (await page.WritesAsync("list.md")).GetArrayLength());
        Assert.False(await page.InConflictAsync("list.md"));
        Assert.Empty(page.Errors);
    }
}
