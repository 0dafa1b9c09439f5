using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page as the README and docs/web.md show it: realistic notes in a signed-in space, each state a
/// screenshot named as its copy in docs/screenshots. Retaking them is a run of this class (and of the tests
/// docs/web.md names for the others), so they follow the page's look instead of a one-off script's.
/// Each state is asserted before it is taken, so a screenshot never shows the page short of it.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserDocScreenshotTests(BrowserFixture browser)
{
    private const string Tablet = "anna-tablet";

    private static readonly (string Path, string Text)[] Notes =
    [
        ("ideas.txt", "Dark mode for the web app\nA widget for the phone's home screen"),
        ("home/groceries.md", "oat milk\nbread\ntomatoes\ncoffee beans"),
        ("trip/lisbon.md", "Flight TP 1351, Fri 08:40, gate B12\nHotel: Rua das Flores 12, check-in from 15:00"),
        ("work/roadmap.md", "Q3 roadmap\n\n- Beta of the web app for the design team\n- Offline editing on phones\n- Shared folders (design review on 14 Oct)\n- Import from Evernote, maybe Q4\n\nOpen question: do we keep .txt notes as they are?"),
        ("work/standup.md", "Tuesday 9:30\n\n- Ana: sync tests on the CI\n- Ben: the phone layout"),
    ];

    [Fact]
    public async Task TheDocsScreenshotsShowTheSignedInPageInEachState()
    {
        // Arrange: auth on; a tablet of space alice holds the notes; the page opens with no token.
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        await using var tablet = await WsDevice.ConnectAsync(server, Tablet, token: TestTokens.Mint("alice", Tablet));
        await tablet.PullAsync();
        foreach (var (path, text) in Notes)
        {
            await tablet.PutAsync($"note:{path}", text);
        }

        await using var page = await NotePage.OpenAsync(browser, server);

        // Sign in: the dialog over an empty page.
        await Assertions.Expect(page.Page.Locator("#token-dialog")).ToBeVisibleAsync();
        await page.WaitForStatusAsync("unauthorized");
        await page.ScreenshotAsync("web-sign-in");
        await page.Page.Locator("#token").FillAsync(TestTokens.Mint("alice"));
        await page.Page.Locator("#token-save").ClickAsync();
        await page.WaitForStatusAsync("connected");
        foreach (var (path, text) in Notes)
        {
            await page.WaitForValueAsync(path, text);
        }

        // The page: the top bar names the space and this browser's device, with Sign out.
        await page.OpenFromListAsync("work/roadmap.md");
        await Assertions.Expect(page.Page.Locator("#space")).ToHaveTextAsync("alice");
        await Assertions.Expect(page.Page.Locator("#device")).ToHaveTextAsync(await page.DeviceIdAsync());
        await Assertions.Expect(page.Page.Locator("#sign-out")).ToBeVisibleAsync();
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveTextAsync("Synced");
        await page.ScreenshotAsync("web-desktop");

        // The new-note dialog, a name with folders typed.
        await page.Page.Keyboard.PressAsync("Alt+KeyN");
        await page.Page.Locator("#new-path").FillAsync("home/recipes/bread");
        await Assertions.Expect(page.Page.Locator("#new-hint")).ToContainTextAsync(".md");
        await page.ScreenshotAsync("web-new-note");
        await page.Page.Locator("#new-cancel").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#new-dialog")).ToBeHiddenAsync();

        // A conflict: the page and the tablet wrote the packing list at the same logical time.
        await page.CreateNoteAsync("trip/packing", "passport\nphone charger\nsunscreen");
        await page.WaitForNothingUnsentAsync();
        await page.ForceConflictAsync(tablet, "trip/packing.md", "passport\nphone charger\nsunscreen\nrain jacket");
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToBeVisibleAsync();
        await Assertions.Expect(page.Version(Tablet)).ToContainTextAsync("rain jacket");
        await page.Page.Locator("#content").BlurAsync();
        await page.ScreenshotAsync("web-conflict");
        await page.Version(Tablet).Locator(".keep-this").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#conflict-view")).ToBeHiddenAsync();
        await page.WaitForNothingUnsentAsync();

        // At phone width: the list alone.
        await page.Page.SetViewportSizeAsync(NotePage.Phone.Width, NotePage.Phone.Height);
        await page.Page.Locator("#back").ClickAsync();
        await Assertions.Expect(page.Item("work/standup.md")).ToBeVisibleAsync();
        await Assertions.Expect(page.Editor).ToBeHiddenAsync();
        await page.ScreenshotAsync("web-phone");
        await page.Page.SetViewportSizeAsync(NotePage.Desktop.Width, NotePage.Desktop.Height);

        // Offline, two edits unsent.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("home/groceries.md", "oat milk\nbread\ntomatoes\ncoffee beans\nolive oil");
        await page.EditAsync("trip/packing.md", "passport\nphone charger\nsunscreen\nrain jacket\nadapter plug");
        await Assertions.Expect(page.Page.Locator("#unsent")).ToHaveTextAsync("2 unsent");
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveAttributeAsync("data-state", "unsent");
        await page.ScreenshotAsync("web-offline");
    }
}
