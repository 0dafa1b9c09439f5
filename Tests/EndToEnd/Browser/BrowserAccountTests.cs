using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>The top bar says which space and device the page syncs as; the Sign in dialog hides the token and can be closed; Sign out forgets the token and this browser's copy, warning first about unsent edits.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserAccountTests(BrowserFixture browser)
{
    [Fact]
    public async Task SignInCanWaitAndSignOutForgetsTheTokenAndTheCopyWarningOfUnsentEdits()
    {
        // Arrange: auth on; a device of space alice that sees what reaches the server.
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop", token: TestTokens.Mint("alice", "laptop"));
        await laptop.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        var dialog = page.Page.Locator("#token-dialog");
        var token = page.Page.Locator("#token");

        // The token is hidden as it is typed, shown on request; Escape closes the dialog, and Sign in reopens it.
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(token).ToHaveAttributeAsync("type", "password");
        await page.Page.Locator("#token-show").ClickAsync();
        await Assertions.Expect(token).ToHaveAttributeAsync("type", "text");
        await Assertions.Expect(page.Page.Locator("#token-show")).ToHaveAttributeAsync("aria-pressed", "true");
        await token.FocusAsync();
        await page.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await page.WaitForStatusAsync("unauthorized");
        await Assertions.Expect(page.Page.Locator("#space-label")).ToBeHiddenAsync();
        await page.Page.Locator("#sign-in").ClickAsync();
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(token).ToHaveAttributeAsync("type", "password");

        // Enter in the field connects (the form's first submitter is Connect, not "Not now").
        await token.FillAsync(TestTokens.Mint("alice"));
        await token.PressAsync("Enter");
        await page.WaitForStatusAsync("connected");
        var device = await page.DeviceIdAsync();
        await Assertions.Expect(page.Page.Locator("#space")).ToHaveTextAsync("alice");
        await Assertions.Expect(page.Page.Locator("#device")).ToHaveTextAsync(device);
        await Assertions.Expect(page.Page.Locator("#sign-in")).ToBeHiddenAsync();
        await page.CreateNoteAsync("plans", "sent before signing out");
        await laptop.WaitForValueAsync("note:plans.md", "sent before signing out");

        // Act: an edit made offline, then Sign out.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("plans.md", "not sent yet");
        await page.Page.Locator("#sign-out").ClickAsync();

        // Assert: the page warns, the safe choice focused; Escape keeps everything.
        var warning = page.Page.Locator("#sign-out-dialog");
        await Assertions.Expect(warning).ToBeVisibleAsync();
        await Assertions.Expect(page.Page.Locator("#sign-out-text")).ToContainTextAsync("1 note has an edit that the server has not received yet");
        await Assertions.Expect(page.Page.Locator("#sign-out-cancel")).ToBeFocusedAsync();
        await page.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(warning).ToBeHiddenAsync();
        Assert.NotNull(await page.Page.EvaluateAsync<string?>("() => localStorage.getItem('notesync.token')"));
        Assert.Equal(1, await page.UnsentAsync());

        // Act: back online, the edit goes up; Sign out now asks nothing.
        await page.Context.SetOfflineAsync(false);
        await laptop.WaitForValueAsync("note:plans.md", "not sent yet");
        await page.WaitForNothingUnsentAsync();
        var reloaded = new TaskCompletionSource();
        page.Page.Load += (_, _) => reloaded.TrySetResult();
        await page.Page.Locator("#sign-out").ClickAsync();
        await reloaded.Task.WaitAsync(ClientKit.WaitLimit);
        await page.Page.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'");

        // Assert: no token, an empty copy under a new device id, and the dialog asking for a token.
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => localStorage.getItem('notesync.token')"));
        Assert.Equal(0, await page.Page.EvaluateAsync<int>("() => window.notesync.store.entries.size"));
        Assert.NotEqual(device, await page.DeviceIdAsync());
        Assert.Equal("not sent yet", laptop.ValueOf("note:plans.md"));
    }

    [Fact]
    public async Task WithoutAuthTheSpaceIsDefaultAndThereIsNothingToSignOutOf()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");

        await Assertions.Expect(page.Page.Locator("#space")).ToHaveTextAsync("default");
        await Assertions.Expect(page.Page.Locator("#device")).ToHaveTextAsync(await page.DeviceIdAsync());
        await Assertions.Expect(page.Page.Locator("#sign-out")).ToBeHiddenAsync();
        await Assertions.Expect(page.Page.Locator("#sign-in")).ToBeHiddenAsync();
    }
}
