using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>With auth on, the page asks for a token once, keeps it across reloads, and asks again when it is refused.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserAuthTests(BrowserFixture browser)
{
    [Fact]
    public async Task PageAsksForATokenOnceAndKeepsIt()
    {
        // Arrange: auth on; a device of space alice is live.
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop", token: TestTokens.Mint("alice", "laptop"));
        await laptop.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        // Act + Assert: the page is refused, so it asks; with a token it syncs in alice's space.
        await Assertions.Expect(page.Page.Locator("#token-dialog")).ToBeVisibleAsync();
        await page.WaitForStatusAsync("unauthorized");
        await page.ScreenshotAsync("auth-token-dialog");
        await page.Page.Locator("#token").FillAsync(TestTokens.Mint("alice"));
        await page.Page.Locator("#token-save").ClickAsync();
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("secret/plan", "alice only");
        await laptop.WaitForValueAsync("note:secret/plan.md", "alice only");

        // A reload connects with the kept token, without asking.
        await page.ReloadAsync();
        await page.WaitForStatusAsync("connected");
        await Assertions.Expect(page.Page.Locator("#token-dialog")).ToBeHiddenAsync();

        // A refused token (here: signed with another key) is asked for again, saying why.
        await page.Page.EvaluateAsync("t => localStorage.setItem('notesync.token', t)", TestTokens.Mint("alice", key: TestTokens.WrongKey));
        await page.ReloadAsync();
        await Assertions.Expect(page.Page.Locator("#token-dialog")).ToBeVisibleAsync();
        await Assertions.Expect(page.Page.Locator("#token-error")).ToContainTextAsync("refused");
        Assert.Equal("alice only", await page.ValueAsync("secret/plan.md"));
    }

    [Fact]
    public async Task AnExpiredTokenIsAskedForAgainAndNothingIsLost()
    {
        // Arrange: no clock skew, and a token that expires in 4 s.
        var settings = TestTokens.Settings();
        settings["NoteSync__Auth__ClockSkewSeconds"] = "0";
        await using var server = await InProcessServer.StartAsync(settings);
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop", token: TestTokens.Mint("bob", "laptop"));
        await laptop.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.Page.EvaluateAsync("t => localStorage.setItem('notesync.token', t)", TestTokens.Mint("bob", expires: DateTimeOffset.UtcNow.AddSeconds(4)));
        await page.ReloadAsync();
        await page.WaitForStatusAsync("connected");

        // Act: the server closes the socket (1008) at expiry, and the page asks for a new token.
        await Assertions.Expect(page.Page.Locator("#token-dialog")).ToBeVisibleAsync();
        await page.WaitForStatusAsync("unauthorized");
        await page.Page.Locator("#token").FillAsync(TestTokens.Mint("bob"));
        await page.Page.Locator("#token-save").ClickAsync();

        // Assert: connected again with the new token, and what it writes reaches bob's other device.
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("after/expiry", "still here");
        await laptop.WaitForValueAsync("note:after/expiry.md", "still here");
    }
}
