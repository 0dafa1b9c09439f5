using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// A full space: the page keeps a note the server refused with <c>quota_exceeded</c> as unsent, shows the
/// person the server's reason, and sends the note by itself once another device has made room.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserQuotaTests(BrowserFixture browser)
{
    [Theory]
    [InlineData("")]
    [InlineData("?enable_websocket=false")]
    public async Task ANoteOverTheQuotaStaysUnsentWithTheReasonShownUntilRoomIsMade(string query)
    {
        // Arrange: a space of two notes, both written on the page.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxNotesPerSpace"] = "2" });
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server, query: query);
        await page.CreateNoteAsync("first", "one");
        await page.CreateNoteAsync("second", "two");
        await page.WaitForNothingUnsentAsync();
        var notice = page.Page.Locator("#quota-notice");
        await Assertions.Expect(notice).ToBeHiddenAsync();

        // Act: a third note.
        await page.CreateNoteAsync("third", "three");

        // Assert: the reason is shown, the note is kept as unsent, and the server has none of it.
        await Assertions.Expect(notice).ToBeVisibleAsync();
        await Assertions.Expect(notice).ToContainTextAsync("the space would hold 3 notes, more than NoteSync:Limits:MaxNotesPerSpace (2); delete notes to make room");
        await Assertions.Expect(page.Item("third.md").Locator(".badge.unsent")).ToBeVisibleAsync();
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveTextAsync("Saved, not sent");
        Assert.Equal(1, await page.UnsentAsync());
        await page.ScreenshotAsync("quota-refused");
        await using (var check = HttpDevice.Create(server, "checker"))
        {
            await check.PullAsync();
            Assert.Null(check.StateOf("note:third.md"));
        }

        // Act: another device deletes a note (after it saw it, so its delete is the later write).
        await raw.WaitForValueAsync("note:first.md", "one");
        await raw.PutAsync("note:first.md", null);

        // Assert: the page learns of it, sends the waiting note, and the notice goes.
        await page.WaitForValueAsync("first.md", null);
        await page.WaitForNothingUnsentAsync();
        await Assertions.Expect(notice).ToBeHiddenAsync();
        await raw.WaitForValueAsync("note:third.md", "three");
    }
}
