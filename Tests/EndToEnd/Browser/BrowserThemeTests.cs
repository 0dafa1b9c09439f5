using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>The page follows the system's light or dark setting (<c>prefers-color-scheme</c>), and its text stays readable in both.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserThemeTests(BrowserFixture browser)
{
    // The WCAG contrast ratio of two computed colours ("rgb(r, g, b)") for each pair, and the relative luminance of the page's and the sidebar's backgrounds (BrowserMarkdownPreviewTests uses it too).
    internal const string ContrastScript =
        """
        ([pairs]) => {
          const luminance = css => {
            const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
              .map(c => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const style = selector => getComputedStyle(document.querySelector(selector));
          const ratio = (a, b) => { const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05); };
          const result = { background: luminance(style("html").backgroundColor), panel: luminance(style(".sidebar").backgroundColor) };
          for (const [name, fg, bg] of pairs) result[name] = ratio(style(fg).color, style(bg).backgroundColor);
          return result;
        }
        """;

    // [name, the element whose text colour counts, the element whose background it is read on]
    private static readonly string[][] Pairs =
    [
        ["ink", ".note-title", ".sidebar"],
        ["muted", ".note-snippet", ".sidebar"],
        ["primary", "#new-note", "#new-note"],
        ["selected", ".note-item.selected .note-title", ".note-item.selected"],
        ["unsent", ".badge.unsent", ".badge.unsent"],
        ["editor", "#content", "#content"],
    ];

    [Fact]
    public async Task UnderADarkSystemSettingThePageIsDarkAndItsTextReadable()
    {
        // Arrange: a page with notes in folders, one of them open, one unsent (a badge) while offline.
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("work/plans", "Q3 plans\n\n- hire two people\n- ship the web page's dark theme");
        await page.CreateNoteAsync("trip/packing", "passport, charger, sunscreen");
        await page.CreateNoteAsync("recipes/bread", "500 g flour, 350 g water, 10 g salt, 2 g yeast");
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("trip/packing.md", "passport, charger, sunscreen, a book");
        await page.OpenFromListAsync("work/plans.md");

        // Act: the system asks for dark.
        await page.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });

        // Assert: dark backgrounds, and every text pair at least WCAG AA (4.5:1).
        var dark = await page.Page.EvaluateAsync<Dictionary<string, double>>(ContrastScript, new object[] { Pairs });
        await page.ScreenshotAsync("dark-theme");
        Assert.True(dark["background"] < 0.02, $"the page's background is dark (luminance {dark["background"]:F3})");
        Assert.True(dark["panel"] < 0.03, $"the sidebar is dark (luminance {dark["panel"]:F3})");
        foreach (var name in Pairs.Select(p => p[0]))
        {
            Assert.True(dark[name] >= 4.5, $"{name} text has contrast {dark[name]:F2} in the dark theme, under 4.5");
        }

        // And back to light: the same pairs hold there too.
        await page.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        var light = await page.Page.EvaluateAsync<Dictionary<string, double>>(ContrastScript, new object[] { Pairs });
        Assert.True(light["background"] > 0.8, $"the page's background is light (luminance {light["background"]:F3})");
        foreach (var name in Pairs.Select(p => p[0]))
        {
            Assert.True(light[name] >= 4.5, $"{name} text has contrast {light[name]:F2} in the light theme, under 4.5");
        }
    }
}
