using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// What the person typed is never lost without a trace: an offline edit that a newer one beat is kept,
/// a change from elsewhere that arrives while they type is kept beside their text, and their text is
/// saved when the page is hidden, before a phone may kill it.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserTypingTests(BrowserFixture browser)
{
    [Fact]
    public async Task AnOfflineEditThatLosesTheMergeIsKeptAndCanBeRestored()
    {
        // Arrange: a note on the page and another device.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("trip/plan", "day 1: museum");
        await raw.WaitForValueAsync("note:trip/plan.md", "day 1: museum");

        // Act: the network goes; the page edits the note while the phone edits it later (a higher timestamp).
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("trip/plan.md", "day 1: museum, then the harbour (typed on the train)");
        var mine = (await page.WritesAsync("trip/plan.md"))[0].GetProperty("timestamp").GetInt64();
        await raw.PutAsync("note:trip/plan.md", "day 1: beach (from the phone)", mine + 10);
        await page.Context.SetOfflineAsync(false);

        // Assert: the phone's edit wins the merge everywhere, and the page keeps its own, shown to choose from.
        await page.WaitForValueAsync("trip/plan.md", "day 1: beach (from the phone)");
        await page.WaitForNothingUnsentAsync();
        await Assertions.Expect(page.Item("trip/plan.md").Locator(".badge.kept")).ToBeVisibleAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync("day 1: beach (from the phone)");
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToBeVisibleAsync();
        var kept = page.Page.Locator("#versions .version[data-kept=\"lost\"]");
        await Assertions.Expect(kept).ToContainTextAsync("day 1: museum, then the harbour (typed on the train)");
        await page.ScreenshotAsync("kept-lost-edit");

        // ... and after a reload too.
        await page.ReloadAsync();
        await page.Item("trip/plan.md").ClickAsync();
        await Assertions.Expect(kept).ToContainTextAsync("day 1: museum, then the harbour (typed on the train)");

        // Act: the person restores their version.
        await kept.Locator(".keep-this").ClickAsync();

        // Assert: it is the note again, on the server too, and the kept copy is gone.
        await raw.WaitForValueAsync("note:trip/plan.md", "day 1: museum, then the harbour (typed on the train)");
        await Assertions.Expect(page.Editor).ToHaveValueAsync("day 1: museum, then the harbour (typed on the train)");
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToBeHiddenAsync();
        await Assertions.Expect(page.Item("trip/plan.md").Locator(".badge.kept")).ToHaveCountAsync(0);
        Assert.False(await page.Page.EvaluateAsync<bool>("() => window.notesync.store.kept.has('note:trip/plan.md')"));
    }

    [Fact]
    public async Task ARemoteChangeWhileTypingIsKeptBesideTheTypedText()
    {
        // Arrange: a note open in the page, known to another device.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("shared/list", "eggs");
        await raw.WaitForValueAsync("note:shared/list.md", "eggs");
        await page.Editor.ClickAsync();
        await page.Page.Keyboard.PressAsync("End");

        // Act: the phone writes the note while the person is typing (each key puts the autosave off).
        await page.Page.Keyboard.TypeAsync(",");
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveTextAsync("Editing…");
        var phoneWrite = raw.PutAsync("note:shared/list.md", "eggs, flour (from the phone)");
        var conflictView = page.Page.Locator("#conflict-view");
        for (var i = 0; i < 400 && !await conflictView.IsVisibleAsync(); i++)
        {
            await page.Page.Keyboard.TypeAsync(i % 10 == 0 ? " " : "s");
        }

        await phoneWrite;

        // Assert: the phone's version shows beside the typing, which stays in the editor.
        Assert.True(await conflictView.IsVisibleAsync(), $"no conflict view after typing: {await page.DescribeAsync()}");
        await Assertions.Expect(page.Version("phone")).ToContainTextAsync("eggs, flour (from the phone)");
        var typed = await page.Editor.InputValueAsync();
        Assert.StartsWith("eggs,", typed);

        // Act: typing stops; the autosave writes the typed text over the phone's.
        await raw.WaitForValueAsync("note:shared/list.md", typed);

        // Assert: the phone's text is kept, not lost: still shown, marked, after the save and a reload.
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveTextAsync("Synced");
        await Assertions.Expect(page.Page.Locator("#versions .version[data-kept=\"overwritten\"]")).ToContainTextAsync("eggs, flour (from the phone)");
        await Assertions.Expect(page.Item("shared/list.md").Locator(".badge.kept")).ToBeVisibleAsync();
        await page.ScreenshotAsync("kept-while-typing");
        await page.ReloadAsync();
        await page.Item("shared/list.md").ClickAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync(typed);
        await Assertions.Expect(page.Page.Locator("#versions .version[data-kept=\"overwritten\"]")).ToContainTextAsync("eggs, flour (from the phone)");

        // Act + Assert: "Keep both" makes the phone's version a note of its own, everywhere, and clears the mark.
        await page.Page.Locator("#keep-both").ClickAsync();
        await raw.WaitForValueAsync("note:shared/list (phone).md", "eggs, flour (from the phone)");
        await raw.WaitForValueAsync("note:shared/list.md", typed);
        await Assertions.Expect(conflictView).ToBeHiddenAsync();
        await Assertions.Expect(page.Item("shared/list.md").Locator(".badge.kept")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task KeepBothWhileStillTypingKeepsTheTypedTextAsTheNote()
    {
        // Arrange: a note open in the page; the page's timers stop, so the autosave cannot come first.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("shared/todo", "call Bo");
        await raw.WaitForValueAsync("note:shared/todo.md", "call Bo");
        await page.Page.Clock.InstallAsync();
        await page.Page.Clock.PauseAtAsync(DateTime.Now.AddSeconds(1));

        // Act: typing, the phone's edit arrives; the person chooses "Keep both" before any save.
        await page.Editor.FillAsync("call Bo, then Al (typed)");
        await raw.PutAsync("note:shared/todo.md", "call Bo and Cy (from the phone)");
        await Assertions.Expect(page.Version("phone")).ToContainTextAsync("call Bo and Cy (from the phone)");
        await page.Page.Locator("#keep-both").ClickAsync();

        // Assert: the typed text is the note, and the phone's is a note of its own, at the server too.
        await raw.WaitForValueAsync("note:shared/todo.md", "call Bo, then Al (typed)");
        await raw.WaitForValueAsync("note:shared/todo (phone).md", "call Bo and Cy (from the phone)");
        Assert.Equal("call Bo, then Al (typed)", await page.Editor.InputValueAsync());
    }

    [Fact]
    public async Task TextTypedOfflineIsSavedWhenThePageIsHiddenAndOutlivesTheTab()
    {
        // Arrange: a note open in the page; the network goes mid-typing.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("phone/draft", "Dear Ann,");
        await raw.WaitForValueAsync("note:phone/draft.md", "Dear Ann,");
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");

        // The page's timers stop, so nothing but the page being hidden can save: the autosave never comes,
        // as on a phone that freezes a page in the background.
        await page.Page.Clock.InstallAsync();
        await page.Page.Clock.PauseAtAsync(DateTime.Now.AddSeconds(1));
        await page.Editor.FillAsync("Dear Ann,\nthe last words before switching apps");

        // Act: the person switches apps: the page is hidden.
        await page.Page.EvaluateAsync(
            """
            () => {
              Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
              Object.defineProperty(document, "hidden", { value: true, configurable: true });
              document.dispatchEvent(new Event("visibilitychange"));
            }
            """);

        // Assert: the text is in IndexedDB (replica and outbox) while the page is still hidden.
        var deadline = DateTime.UtcNow + ClientKit.WaitLimit;
        const string Saved = "() => window.notesync.store.outbox.get('note:phone/draft.md')?.value ?? null";
        while (await page.Page.EvaluateAsync<string?>(Saved) != "Dear Ann,\nthe last words before switching apps")
        {
            Assert.True(DateTime.UtcNow < deadline, $"the text was not saved when the page was hidden: {await page.DescribeAsync()}");
            await Task.Delay(50);
        }

        // Act: the phone kills the tab (no further event), and the person opens the page again, online.
        var crashed = new TaskCompletionSource();
        page.Page.Crash += (_, _) => crashed.TrySetResult();
        var cdp = await page.Context.NewCDPSessionAsync(page.Page);
        _ = cdp.SendAsync("Page.crash");
        await crashed.Task.WaitAsync(ClientKit.WaitLimit);
        await page.Page.CloseAsync();
        await page.Context.SetOfflineAsync(false);
        var again = await page.Context.NewPageAsync();
        await again.GotoAsync(page.PageUri.ToString());
        await again.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'");

        // Assert: the words are there and reach the other device.
        await raw.WaitForValueAsync("note:phone/draft.md", "Dear Ann,\nthe last words before switching apps");
        await again.Locator(".note-item[data-key=\"note:phone/draft.md\"]").ClickAsync();
        await Assertions.Expect(again.Locator("#content")).ToHaveValueAsync("Dear Ann,\nthe last words before switching apps");
    }
}
