using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page's history panel, trash, undo of a delete and merged mark (docs/web.md, "History and the
/// trash"), against the real server's history (docs/protocol.md §4.13): each restore is an ordinary
/// edit, so another device gets it.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserHistoryTests(BrowserFixture browser)
{
    private const string V1 = "passport\ncharger\nsocks";
    private const string V2 = "passport\ncharger\nsocks\numbrella";
    private const string V3 = "passport\nsocks\numbrella\nsunscreen";

    [Fact]
    public async Task TheHistoryListsThePagesAndAnotherDevicesVersionsAndRestoresOne()
    {
        // Arrange: v1 by the page, v2 by the phone, v3 by the page.
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, "phone");
        await phone.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        var pageDevice = await page.DeviceIdAsync();
        await page.CreateNoteAsync("trip/packing", V1);
        await phone.WaitForValueAsync("note:trip/packing.md", V1);
        await phone.EditAsync("note:trip/packing.md", V2);
        await page.WaitForValueAsync("trip/packing.md", V2);
        await page.EditAsync("trip/packing.md", V3);
        await phone.WaitForValueAsync("note:trip/packing.md", V3);

        // Act
        await page.Page.Locator("#history").ClickAsync();

        // Assert: newest first, with writer, wall-clock time, size and the current mark; the oldest is the
        // empty note the New dialog made.
        var versions = page.Page.Locator(".history-version");
        await Assertions.Expect(versions).ToHaveCountAsync(4);
        await Assertions.Expect(page.Page.Locator("#history-title")).ToBeFocusedAsync();
        await Assertions.Expect(versions.Nth(0)).ToHaveAttributeAsync("data-device", pageDevice);
        await Assertions.Expect(versions.Nth(0)).ToContainTextAsync("this browser");
        await Assertions.Expect(versions.Nth(0).Locator(".badge.current")).ToBeVisibleAsync();
        await Assertions.Expect(versions.Nth(1)).ToHaveAttributeAsync("data-device", "phone");
        await Assertions.Expect(versions.Nth(1).Locator(".badge.current")).ToHaveCountAsync(0);
        await Assertions.Expect(versions.Nth(2)).ToHaveAttributeAsync("data-device", pageDevice);
        await Assertions.Expect(versions.Nth(2)).ToContainTextAsync("22 bytes");
        await Assertions.Expect(versions.Nth(2)).ToContainTextAsync(DateTime.Now.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(versions.Nth(3)).ToContainTextAsync("0 bytes");

        // Act 2: the first version, its changes against the current text.
        await versions.Nth(2).ClickAsync();

        // Assert 2: a line diff: what a restore drops and brings back.
        var view = page.Page.Locator("#history-view");
        await Assertions.Expect(view.Locator(".diff-add")).ToHaveTextAsync(["+ charger"]);
        await Assertions.Expect(view.Locator(".diff-del")).ToHaveTextAsync(["− umbrella", "− sunscreen"]);
        await page.ScreenshotAsync("history-panel");
        await page.Page.Locator("#history-show-text").ClickAsync();
        await Assertions.Expect(view).ToHaveTextAsync(V1);

        // Act 3: restore it.
        await page.Page.Locator("#history-restore").ClickAsync();

        // Assert 3: an edit of the current version, so the phone has v1 and no conflict.
        await Assertions.Expect(page.Editor).ToHaveValueAsync(V1);
        await phone.WaitForValueAsync("note:trip/packing.md", V1);
        await page.WaitForNothingUnsentAsync();
        Assert.False(phone.StateOf("note:trip/packing.md")!.IsConflict);

        // Assert 3: the open list follows once the restore is acknowledged: it is the newest version.
        await Assertions.Expect(versions).ToHaveCountAsync(5);
        await Assertions.Expect(versions.Nth(0).Locator(".badge.current")).ToBeVisibleAsync();

        // Act 4: reopened, the restore is still the newest version.
        await page.Page.Locator("#history-close").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#history")).ToBeFocusedAsync();
        await page.Page.Locator("#history").ClickAsync();
        await Assertions.Expect(versions).ToHaveCountAsync(5);
        await Assertions.Expect(versions.Nth(0).Locator(".badge.current")).ToBeVisibleAsync();

        // Act 5: while the panel is open, the phone edits the note.
        await phone.EditAsync("note:trip/packing.md", V2);

        // Assert 5: the list follows without being reopened.
        await Assertions.Expect(versions).ToHaveCountAsync(6);
        await Assertions.Expect(versions.Nth(0)).ToHaveAttributeAsync("data-device", "phone");
        await Assertions.Expect(versions.Nth(0).Locator(".badge.current")).ToBeVisibleAsync();
        await page.Page.Locator("#history-close").ClickAsync();

        // Act 6 and Assert 6: offline, the panel says it needs the server.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.Page.Locator("#history").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#history-message")).ToContainTextAsync("when this browser is online");
        await Assertions.Expect(versions).ToHaveCountAsync(0);
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task AtPhoneWidthTheHistoryListItsDiffAndRestoreFitTheScreen()
    {
        // Arrange: on a phone-sized page, v1 by the page, v2 by the laptop, v3 by the page.
        await using var server = await InProcessServer.StartAsync();
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop");
        await laptop.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server, NotePage.Phone);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("trip/packing", V1);
        await laptop.WaitForValueAsync("note:trip/packing.md", V1);
        await laptop.EditAsync("note:trip/packing.md", V2);
        await page.WaitForValueAsync("trip/packing.md", V2);
        await page.EditAsync("trip/packing.md", V3);

        // Act: open the history and choose the first text. The page's v3 may still be on its way: the
        // open list takes it in once the server has it.
        await page.Page.Locator("#history").ClickAsync();
        var versions = page.Page.Locator(".history-version");
        await Assertions.Expect(versions).ToHaveCountAsync(4);
        await versions.Nth(2).ClickAsync();
        await Assertions.Expect(page.Page.Locator("#history-view .diff-add")).ToHaveTextAsync(["+ charger"]);

        // Assert: without scrolling the page, the list, the diff and Restore are on the screen and nothing covers
        // them (not the editor under the panel either), and the page is no wider than the screen.
        var problems = await page.Page.EvaluateAsync<string[]>(
            """
            () => {
              const problems = [];
              if (document.documentElement.scrollWidth > innerWidth) problems.push(`the page is ${document.documentElement.scrollWidth} px wide on a ${innerWidth} px screen`);
              if (scrollX !== 0 || scrollY !== 0) problems.push(`the page scrolled to ${scrollX},${scrollY}`);
              const check = (what, el) => {
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) { problems.push(`${what} takes no room`); return; }
                if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight)
                  problems.push(`${what} is at ${Math.round(r.left)},${Math.round(r.top)} to ${Math.round(r.right)},${Math.round(r.bottom)}, outside the ${innerWidth}x${innerHeight} screen`);
                const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                if (!el.contains(hit)) problems.push(`${what} is covered by ${hit?.id || hit?.className || hit?.tagName}`);
              };
              check("the newest version", document.querySelectorAll(".history-version")[0]);
              check("the chosen version", document.querySelector(".history-version[aria-current=true]"));
              check("the diff", document.getElementById("history-view"));
              check("the diff's added line", document.querySelector("#history-view .diff-add"));
              check("the diff's last removed line", [...document.querySelectorAll("#history-view .diff-del")].at(-1));
              check("Restore", document.getElementById("history-restore"));
              check("Close", document.getElementById("history-close"));
              return problems;
            }
            """);
        await page.ScreenshotAsync("history-phone");
        Assert.True(problems.Length == 0, string.Join("; ", problems));

        // Act 2: restore it.
        await page.Page.Locator("#history-restore").ClickAsync();

        // Assert 2: the restore is the note, here and on the laptop.
        await Assertions.Expect(page.Editor).ToHaveValueAsync(V1);
        await laptop.WaitForValueAsync("note:trip/packing.md", V1);
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task TheTrashListsDeletedNotesWithWhoAndTheirLastTextAndRestoresOne()
    {
        // Arrange: three notes; the phone deletes one, the page another.
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, "phone");
        await phone.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("reading", "The Overstory\nPiranesi");
        await page.CreateNoteAsync("ideas/garden", "tomatoes by the wall\nbasil in pots");
        await page.CreateNoteAsync("ideas/old-plan", "repaint the shed");
        await phone.WaitForValueAsync("note:ideas/old-plan.md", "repaint the shed");
        await phone.EditAsync("note:ideas/garden.md", null);
        await page.WaitForValueAsync("ideas/garden.md", null);
        await page.OpenFromListAsync("ideas/old-plan.md");
        await page.Page.Locator("#delete").ClickAsync();
        await phone.WaitForValueAsync("note:ideas/old-plan.md", null);

        // Act
        await page.Page.Locator("#open-trash").ClickAsync();

        // Assert: both, newest deletion first, with who deleted them and their last text.
        var notes = page.Page.Locator(".trash-note");
        await Assertions.Expect(notes).ToHaveCountAsync(2);
        await Assertions.Expect(notes.Nth(0)).ToHaveAttributeAsync("data-key", "note:ideas/old-plan.md");
        await Assertions.Expect(notes.Nth(0)).ToContainTextAsync("by this browser");
        var garden = page.Page.Locator(".trash-note[data-key=\"note:ideas/garden.md\"]");
        await Assertions.Expect(garden).ToContainTextAsync("by phone");
        await Assertions.Expect(garden.Locator("pre")).ToHaveTextAsync("tomatoes by the wall\nbasil in pots");
        await page.ScreenshotAsync("trash-view");

        // Act 2
        await garden.Locator(".trash-restore").ClickAsync();

        // Assert 2: back in the page, open, and on the phone, as an edit of the delete (no conflict).
        await Assertions.Expect(page.Page.Locator("#trash-dialog")).ToBeHiddenAsync();
        await Assertions.Expect(page.Item("ideas/garden.md")).ToBeVisibleAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync("tomatoes by the wall\nbasil in pots");
        await phone.WaitForValueAsync("note:ideas/garden.md", "tomatoes by the wall\nbasil in pots");
        Assert.False(phone.StateOf("note:ideas/garden.md")!.IsConflict);
        Assert.Empty(page.Errors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UndoAfterADeleteBringsTheNoteBackOnTheOtherDevice(bool offline)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, "phone");
        await phone.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("shopping", "eggs\nmilk");
        await phone.WaitForValueAsync("note:shopping.md", "eggs\nmilk");
        if (offline)
        {
            await page.Context.SetOfflineAsync(true);
            await page.WaitForStatusAsync("offline");
        }

        // Act: delete; the notice offers Undo, focused.
        await page.Page.Locator("#delete").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#undo-notice")).ToContainTextAsync("Deleted shopping.md.");
        await Assertions.Expect(page.Page.Locator("#undo-delete")).ToBeFocusedAsync();
        await Assertions.Expect(page.Item("shopping.md")).ToHaveCountAsync(0);
        if (!offline)
        {
            await phone.WaitForValueAsync("note:shopping.md", null);
        }

        await page.Page.Locator("#undo-delete").ClickAsync();
        if (offline)
        {
            await page.Context.SetOfflineAsync(false);
        }

        // Assert: the note is back, open, and on the phone, with no conflict.
        await Assertions.Expect(page.Page.Locator("#undo-notice")).ToBeHiddenAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync("eggs\nmilk");
        await Assertions.Expect(page.Item("shopping.md")).ToBeVisibleAsync();
        await page.WaitForNothingUnsentAsync();
        await phone.WaitForValueAsync("note:shopping.md", "eggs\nmilk");
        Assert.False(phone.StateOf("note:shopping.md")!.IsConflict);
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task AMergedNoteNamesTheMergedDevicesAndGoesBackToEitherInOneClick()
    {
        // Arrange: the laptop and the phone edit different lines of one version without seeing each
        // other's edit; the server merges them (docs/protocol.md §2.3).
        const string Key = "note:plans.md";
        await using var server = await InProcessServer.StartAsync();
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop");
        await using var phone = await WsDevice.ConnectAsync(server, "phone");
        await laptop.PullAsync();
        await phone.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("plans", "monday: gym\nwednesday: free\nsunday: rest");
        await laptop.WaitForValueAsync(Key, "monday: gym\nwednesday: free\nsunday: rest");
        await phone.WaitForValueAsync(Key, "monday: gym\nwednesday: free\nsunday: rest");
        var phoneEdit = phone.EditOf(Key, "monday: gym\nwednesday: free\nsunday: hike");
        await laptop.EditAsync(Key, "monday: gym, early\nwednesday: free\nsunday: rest");
        await phone.PushAsync(phone.NewPush(phoneEdit));
        await page.WaitForValueAsync("plans.md", "monday: gym, early\nwednesday: free\nsunday: hike");

        // Assert: the open note is marked, naming both devices.
        var mark = page.Page.Locator("#merged-mark");
        await Assertions.Expect(mark).ToBeVisibleAsync();
        await Assertions.Expect(mark).ToContainTextAsync("Merged from");
        await Assertions.Expect(mark).ToContainTextAsync("laptop");
        await Assertions.Expect(mark).ToContainTextAsync("phone");
        await Assertions.Expect(mark.Locator(".merged-back")).ToHaveCountAsync(2);
        await page.ScreenshotAsync("merged-mark");

        // Act: back to the laptop's version.
        await mark.Locator(".merged-back[data-device=\"laptop\"]").ClickAsync();

        // Assert: a restore, so every device has the laptop's text, and the mark goes.
        await Assertions.Expect(page.Editor).ToHaveValueAsync("monday: gym, early\nwednesday: free\nsunday: rest");
        await phone.WaitForValueAsync(Key, "monday: gym, early\nwednesday: free\nsunday: rest");
        await Assertions.Expect(mark).ToBeHiddenAsync();
        Assert.False(phone.StateOf(Key)!.IsConflict);
        Assert.Empty(page.Errors);
    }
}
