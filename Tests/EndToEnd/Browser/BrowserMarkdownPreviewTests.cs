using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The editor's Preview (docs/web.md, Markdown preview): the note rendered by the server, with nothing of
/// the note's HTML or <c>javascript:</c> links running, the text and cursor kept, and offline a clear message.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserMarkdownPreviewTests(BrowserFixture browser)
{
    private const string Note = """
        # Packing list

        - passport
        - socks

        Take the `charger`.

        <script>window.__md=1</script>

        <img src=x onerror="window.__md=2">

        [click](javascript:window.__md=3)

        [the train times](https://example.com/trains)
        """;

    // [name, the element whose text colour counts, the element whose background it is read on]
    private static readonly string[][] Pairs =
    [
        ["heading", "#preview-body h1", "#preview-view"],
        ["list", "#preview-body li", "#preview-view"],
        ["code", "#preview-body code", "#preview-body code"],
        ["link", "#preview-body a", "#preview-view"],
    ];

    [Fact]
    public async Task ThePreviewRendersTheNoteRunsNothingOfItAndOfflineSaysSoKeepingTheText()
    {
        // Arrange: the note written in the editor, the cursor on "list" in its first line.
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("trip/packing", Note);
        await page.Editor.EvaluateAsync("e => { e.focus(); e.setSelectionRange(10, 14); }");
        var preview = page.Page.Locator("#preview");
        var body = page.Page.Locator("#preview-body");

        // Act: Preview, from the keyboard.
        await preview.FocusAsync();
        await page.Page.Keyboard.PressAsync("Enter");

        // Assert: the heading, the list and the code rendered; the note's HTML is text, the javascript: link
        // no link, and nothing of it ran.
        await Assertions.Expect(preview).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(body.Locator("h1")).ToHaveTextAsync("Packing list");
        await Assertions.Expect(body.Locator("li")).ToHaveTextAsync(["passport", "socks"]);
        await Assertions.Expect(body.Locator("code")).ToHaveTextAsync("charger");
        await Assertions.Expect(page.Editor).ToBeHiddenAsync();
        await Assertions.Expect(body).ToContainTextAsync("<script>window.__md=1</script>");
        await Assertions.Expect(body).ToContainTextAsync("<img src=x onerror=\"window.__md=2\">");
        await Assertions.Expect(body.Locator("script, img, iframe")).ToHaveCountAsync(0);
        var link = body.Locator("a");
        await Assertions.Expect(link).ToHaveCountAsync(1);
        await Assertions.Expect(link).ToHaveAttributeAsync("href", "https://example.com/trains");
        await Assertions.Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
        await body.GetByText("click", new() { Exact = true }).ClickAsync();
        Assert.Equal("undefined", await page.Page.EvaluateAsync<string>("() => typeof window.__md"));
        await page.ScreenshotAsync("markdown-preview");

        // Assert: the rendered note readable in both themes.
        foreach (var scheme in new[] { ColorScheme.Dark, ColorScheme.Light })
        {
            await page.Page.EmulateMediaAsync(new() { ColorScheme = scheme });
            var contrast = await page.Page.EvaluateAsync<Dictionary<string, double>>(BrowserThemeTests.ContrastScript, new object[] { Pairs });
            foreach (var name in Pairs.Select(p => p[0]))
            {
                Assert.True(contrast[name] >= 4.5, $"{name} in the preview has contrast {contrast[name]:F2} in the {scheme} theme, under 4.5");
            }

            if (scheme == ColorScheme.Dark)
            {
                await page.ScreenshotAsync("markdown-preview-dark");
            }
        }

        // Act 2: back to Edit, from the keyboard.
        await preview.FocusAsync();
        await page.Page.Keyboard.PressAsync("Space");

        // Assert 2: the text as it was, the cursor where it was.
        await Assertions.Expect(preview).ToHaveAttributeAsync("aria-pressed", "false");
        await Assertions.Expect(page.Editor).ToBeFocusedAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync(Note);
        var selection = await page.Editor.EvaluateAsync<int[]>("e => [e.selectionStart, e.selectionEnd]");
        Assert.Equal((10, 14), (selection[0], selection[1]));
        await Assertions.Expect(body.Locator("*")).ToHaveCountAsync(0);

        // Act 3: offline, Preview.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await preview.ClickAsync();

        // Assert 3: it says it needs the server; the text is all there.
        await Assertions.Expect(page.Page.Locator("#preview-message")).ToContainTextAsync("Preview needs the server; you are offline");
        await Assertions.Expect(body.Locator("*")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Editor).ToHaveValueAsync(Note);
        await page.ScreenshotAsync("markdown-preview-offline");

        // Act 4: back online with the preview still open.
        await page.Context.SetOfflineAsync(false);
        await page.WaitForStatusAsync("connected");

        // Assert 4: it renders by itself once the server answers.
        await Assertions.Expect(body.Locator("h1")).ToHaveTextAsync("Packing list");
        await Assertions.Expect(page.Page.Locator("#preview-message")).ToBeHiddenAsync();
        Assert.Equal("undefined", await page.Page.EvaluateAsync<string>("() => typeof window.__md"));

        // Act 5: Edit, and the note is unchanged at the server too.
        await preview.ClickAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync(Note);
        await page.WaitForValueAsync("trip/packing.md", Note);
    }
}
