using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>The page's keys and focus: Alt+N and nothing else opens the New dialog, the open note is marked for assistive technology, and the focus lands somewhere useful after a delete and a resolve.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserKeyboardTests(BrowserFixture browser)
{
    private const string RawDevice = "phone";

    [Fact]
    public async Task AltGrAndOptionNAreLeftToTheTextAndOnlyAltNOpensTheNewDialog()
    {
        // Arrange: a note open in the editor, the caret at the end of its text.
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.CreateNoteAsync("words", "Poznan");
        await page.Editor.FocusAsync();
        await page.Page.Keyboard.PressAsync("End");
        await page.Page.EvaluateAsync("() => { window.prevented = []; window.addEventListener('keydown', e => window.prevented.push(e.defaultPrevented)); }");
        var cdp = await page.Context.NewCDPSessionAsync(page.Page);

        // Act: AltGr+N on a Polish keyboard under Windows (Chromium sees Ctrl+Alt, and the key types ń),
        // then a Mac's Option+N (Alt, the dead key of ñ), as the browser gets them from the system.
        await KeyAsync(cdp, modifiers: 3, key: "ń", text: "ń");
        await KeyAsync(cdp, modifiers: 1, key: "Dead", text: null);

        // Assert: neither key was taken from the text (its default action, typing the character, was not
        // prevented; Chromium on Linux itself types nothing for Ctrl+Alt, so the text is not the check),
        // and no dialog opened.
        var prevented = await page.Page.EvaluateAsync<bool[]>("() => window.prevented");
        Assert.Equal(2, prevented.Length);
        Assert.All(prevented, Assert.False);
        await Assertions.Expect(page.Page.Locator("#new-dialog")).ToBeHiddenAsync();
        await Assertions.Expect(page.Editor).ToBeFocusedAsync();

        // Plain Alt+N, which the page documents, still opens it.
        await page.Page.Keyboard.PressAsync("Alt+KeyN");
        await Assertions.Expect(page.Page.Locator("#new-dialog")).ToBeVisibleAsync();
        await Assertions.Expect(page.Page.Locator("#new-path")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task EnterInTheNewNoteDialogCreatesTheNoteAndEscapeCancels()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        // Act: a name typed and Enter pressed, as people do; then the dialog again, left with Escape.
        await page.Page.Keyboard.PressAsync("Alt+KeyN");
        await page.Page.Locator("#new-path").FillAsync("inbox/by-enter");
        await page.Page.Locator("#new-path").PressAsync("Enter");
        await Assertions.Expect(page.Page.Locator("#note-path")).ToHaveTextAsync("inbox/by-enter.md");
        await page.Page.Keyboard.PressAsync("Alt+KeyN");
        await page.Page.Locator("#new-path").FillAsync("inbox/never");
        await page.Page.Locator("#new-path").PressAsync("Escape");

        // Assert: the first note exists (a form's Enter takes its first button, which was Cancel), the second does not.
        await Assertions.Expect(page.Page.Locator("#new-dialog")).ToBeHiddenAsync();
        await Assertions.Expect(page.Item("inbox/by-enter.md")).ToBeVisibleAsync();
        await Assertions.Expect(page.Item("inbox/never.md")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Page.Locator("#note-path")).ToHaveTextAsync("inbox/by-enter.md");
    }

    [Fact]
    public async Task TheOpenNoteIsCurrentAndTheFocusFollowsADeleteAndAResolve()
    {
        // Arrange: three notes of one folder; a raw device in the same space.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, RawDevice);
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.CreateNoteAsync("trip/a-days", "day 1: lakes");
        await page.CreateNoteAsync("trip/b-packing", "passport");
        await page.CreateNoteAsync("trip/c-tickets", "train at 8");

        // The open note, and it alone, is aria-current.
        await page.OpenFromListAsync("trip/b-packing.md");
        await Assertions.Expect(page.Item("trip/b-packing.md")).ToHaveAttributeAsync("aria-current", "true");
        await Assertions.Expect(page.Page.Locator(".note-item[aria-current]")).ToHaveCountAsync(1);

        // Act: delete it. Undo takes the focus; declined with Escape, the focus goes to the next note.
        await page.Page.Locator("#delete").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#undo-delete")).ToBeFocusedAsync();
        await page.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Page.Locator("#undo-notice")).ToBeHiddenAsync();
        await Assertions.Expect(page.Item("trip/c-tickets.md")).ToBeFocusedAsync();
        await Assertions.Expect(page.Page.Locator(".note-item[aria-current]")).ToHaveCountAsync(0);

        // Act: a conflict on the first note, settled by keeping the phone's version.
        await page.OpenFromListAsync("trip/a-days.md");
        await page.WaitForNothingUnsentAsync();
        await page.ForceConflictAsync(raw, "trip/a-days.md", "day 1: mountains");
        await page.Version(RawDevice).Locator(".keep-this").ClickAsync();

        // Assert: the conflict view is gone with the button, and the focus is on the note's text.
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToBeHiddenAsync();
        await Assertions.Expect(page.Editor).ToBeFocusedAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync("day 1: mountains");
        await raw.WaitForValueAsync("note:trip/a-days.md", "day 1: mountains");
    }

    // One key as the system hands it to Chromium (CDP Input.dispatchKeyEvent): `modifiers` 1 Alt, 2 Ctrl.
    private static async Task KeyAsync(ICDPSession cdp, int modifiers, string key, string? text)
    {
        var down = new Dictionary<string, object> { ["type"] = "keyDown", ["modifiers"] = modifiers, ["key"] = key, ["code"] = "KeyN", ["windowsVirtualKeyCode"] = 78 };
        if (text is not null)
        {
            down["text"] = text;
            down["unmodifiedText"] = text;
        }

        await cdp.SendAsync("Input.dispatchKeyEvent", down);
        await cdp.SendAsync("Input.dispatchKeyEvent", new Dictionary<string, object> { ["type"] = "keyUp", ["modifiers"] = modifiers, ["key"] = key, ["code"] = "KeyN", ["windowsVirtualKeyCode"] = 78 });
    }
}
