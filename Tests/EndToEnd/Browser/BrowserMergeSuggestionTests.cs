using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The conflict view's "Edit a merge" with the server's merge suggestion (docs/protocol.md §2.3, §4.13): edits
/// that overlap come back as one text with git-style markers around the lines both changed, the rest merged.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserMergeSuggestionTests(BrowserFixture browser)
{
    private const string Phone = "phone";

    [Fact]
    public async Task EditAMergeOffersTheServersMergeWithMarkersAndItsSaveResolvesEverywhere()
    {
        // Arrange: the page and the phone hold the plan.
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, Phone);
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        var pageDevice = await page.DeviceIdAsync();
        await phone.EditAsync("note:plan.md", "day 1\nday 2\nday 3\nday 4\n");
        await page.WaitForValueAsync("plan.md", "day 1\nday 2\nday 3\nday 4\n");

        // Act: offline, the page changes days 2 and 4; online, the phone changes day 2 otherwise; the page comes
        // back, and its person asks for a merge.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("plan.md", "day 1\nday 2: hike\nday 3\nday 4: museum\n");
        var pageStamp = (await page.WritesAsync("plan.md"))[0].GetProperty("timestamp").GetInt64();
        await phone.EditAsync("note:plan.md", "day 1\nday 2: rest\nday 3\nday 4\n", timestamp: pageStamp + 500);
        await page.Context.SetOfflineAsync(false);
        await page.WaitForNothingUnsentAsync();
        await Assertions.Expect(page.ConflictBadge("plan.md")).ToBeVisibleAsync();
        await page.Page.Locator("#edit-merge").ClickAsync();

        // Assert: the phone's edit (the later one) first; day 2 between markers naming both devices, day 4 the page's.
        await Assertions.Expect(page.Editor).ToHaveValueAsync($"day 1\n<<<<<<< {Phone}\nday 2: rest\n=======\nday 2: hike\n>>>>>>> {pageDevice}\nday 3\nday 4: museum\n");
        await Assertions.Expect(page.Page.Locator("#merge-hint")).ToBeVisibleAsync();

        // Act: the person finishes the marked part and saves.
        await page.Editor.FillAsync("day 1\nday 2: rest, then a short hike\nday 3\nday 4: museum\n");
        await page.Page.Keyboard.PressAsync("Control+KeyS");

        // Assert: resolved here and on the phone.
        await Assertions.Expect(page.ConflictBadge("plan.md")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Page.Locator("#merge-hint")).ToBeHiddenAsync();
        await phone.WaitUntilAsync(d => d.StateOf("note:plan.md") is { IsConflict: false } s && s.Winner.Value == "day 1\nday 2: rest, then a short hike\nday 3\nday 4: museum\n", "the resolution on the phone");
        Assert.Empty(page.Errors);
    }
}
