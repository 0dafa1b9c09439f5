using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// Tabs of one browser profile share one device (one IndexedDB: device id, clock, outbox). Only one of
/// them may write, in every context: with Web Locks (secure contexts) and without them (a page served
/// over plain HTTP under a host name, which has no <c>navigator.locks</c>).
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserTabTests(BrowserFixture browser)
{
    // What a page on plain HTTP under a name (http://notes.lan:5000/) lacks: Web Locks exist only in secure contexts.
    private const string NoWebLocks = "delete Navigator.prototype.locks;";

    private const string Ready = "() => document.body.dataset.ready === 'true'";

    [Fact]
    public async Task WithoutWebLocksOneTabWritesAndAnotherTakesOverWhenItCloses()
    {
        // Arrange: a page without navigator.locks, live; a raw device to see what reaches the server.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var first = await NotePage.OpenAsync(browser, server, prepare: context => context.AddInitScriptAsync(NoWebLocks));
        Assert.False(await first.Page.EvaluateAsync<bool>("() => 'locks' in navigator"), "the init script did not remove navigator.locks");
        await first.WaitForStatusAsync("connected");
        await first.CreateNoteAsync("tabs/first", "from the first tab");

        // Act: two more tabs of the same profile open at the same moment.
        var second = await first.Context.NewPageAsync();
        var third = await first.Context.NewPageAsync();
        await Task.WhenAll(second.GotoAsync(first.PageUri.ToString()), third.GotoAsync(first.PageUri.ToString()));

        // Assert: both stand aside, saying so, and do not sync; the first goes on.
        foreach (var waiting in new[] { second, third })
        {
            await Assertions.Expect(waiting.Locator("#other-tab")).ToBeVisibleAsync();
            Assert.False(await waiting.EvaluateAsync<bool>("() => 'notesync' in window"), "a second tab of the same device started writing");
        }

        await first.EditAsync("tabs/first.md", "from the first tab, edited");
        await raw.WaitForValueAsync("note:tabs/first.md", "from the first tab, edited");

        // Act: the first tab closes; the two waiting tabs elect one.
        await first.Page.CloseAsync();
        var winner = await FirstReadyAsync(second, third);
        var loser = winner == second ? third : second;

        // Assert: exactly one took over, with the first one's notes, live; the other still waits.
        await Assertions.Expect(winner.Locator("#other-tab")).ToBeHiddenAsync();
        await Assertions.Expect(winner.Locator(".note-item[data-key=\"note:tabs/first.md\"]")).ToBeVisibleAsync();
        await Assertions.Expect(winner.Locator("#status")).ToHaveAttributeAsync("data-state", "connected");
        await winner.Keyboard.PressAsync("Alt+KeyN");
        await winner.Locator("#new-path").FillAsync("tabs/second");
        await winner.Locator("#new-create").ClickAsync();
        await winner.Locator("#content").FillAsync("from the tab that took over");
        await winner.Keyboard.PressAsync("Control+KeyS");
        await raw.WaitForValueAsync("note:tabs/second.md", "from the tab that took over");
        Assert.False(await loser.EvaluateAsync<bool>("() => 'notesync' in window"), "both waiting tabs took over");
        await Assertions.Expect(loser.Locator("#other-tab")).ToBeVisibleAsync();

        // Act + Assert: when that one closes too, the last takes over with every note and writes after them.
        await winner.CloseAsync();
        await loser.WaitForFunctionAsync(Ready);
        await Assertions.Expect(loser.Locator(".note-item[data-key=\"note:tabs/second.md\"]")).ToBeVisibleAsync();
        await Assertions.Expect(loser.Locator("#status")).ToHaveAttributeAsync("data-state", "connected");
        var clocks = await loser.EvaluateAsync<long[]>(
            "() => [window.notesync.store.clock, ...[...window.notesync.store.entries.values()].map(s => s.heads[0].timestamp)]");
        Assert.True(clocks.Skip(1).All(t => t <= clocks[0]), $"the clock {clocks[0]} is below a stored write: {string.Join(",", clocks)}");
    }

    [Fact]
    public async Task AReloadPutsTheClockAboveEveryStoredWrite()
    {
        // Arrange: a note of this page at some timestamp; then the stored clock below it, as two tabs of
        // a page without an election left it (each stored its own tick over the other's).
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("clock/note", "first");
        await page.WaitForNothingUnsentAsync();
        var stamp = (await page.WritesAsync("clock/note.md"))[0].GetProperty("timestamp").GetInt64();
        await page.Page.EvaluateAsync(
            """
            ts => new Promise((resolve, reject) => {
              const open = indexedDB.open("notesync");
              open.onsuccess = () => {
                const db = open.result;
                const tx = db.transaction(["entries", "meta"], "readwrite");
                // The note at a timestamp above the clock, as the other tab wrote it.
                tx.objectStore("entries").put({ key: "note:clock/note.md", heads: [{ timestamp: ts + 50, device_id: window.notesync.store.deviceId, value: "first" }], replaced: { floor: ts + 50, named: [] } });
                tx.objectStore("meta").put(1, "clock");
                tx.oncomplete = () => { db.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
              };
              open.onerror = () => reject(open.error);
            })
            """,
            stamp);

        // Act: reload, then edit the note.
        await page.ReloadAsync();
        Assert.True(await page.Page.EvaluateAsync<long>("() => window.notesync.store.clock") >= stamp + 50, "the clock sits below a stored write after the reload");
        await page.EditAsync("clock/note.md", "second");

        // Assert: the edit is the note's text, here and at the other device.
        Assert.Equal("second", await page.ValueAsync("clock/note.md"));
        await raw.WaitForValueAsync("note:clock/note.md", "second");
    }

    /// <summary>
    /// Two stores open on one database, as two tabs of a page without an election (or two that both
    /// believed they wrote for a moment): neither loses the other's writes.
    /// </summary>
    [Fact]
    public async Task TwoStoresOnOneDatabaseNeitherTickBelowNorDropTheOthersWrites()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        var r = await page.Page.EvaluateAsync<long[]>(
            """
            async () => {
              const { NoteStore } = await import("/store.js");
              const name = `two-tabs-${crypto.randomUUID()}`;
              const a = await NoteStore.open(name);
              const b = await NoteStore.open(name);
              // a writes and sends; b, which has not seen it, edits the same note before a's answer.
              const first = await a.write("note:n", "from a");
              const sent = a.pending();
              const second = await b.write("note:n", "from b");
              // a's answer acknowledges its own write only.
              await a.applyAck({ type: "sync_ack", ack_timestamp: first.timestamp, changes: [] }, sent);
              const c = await NoteStore.open(name);
              const item = c.outbox.get("note:n");
              return [first.timestamp, second.timestamp, item ? item.timestamp : -1, c.clock, c.entries.get("note:n").heads[0].timestamp];
            }
            """);

        // b ticked past a's write; its item is still in the outbox after a's answer; the clock is above both.
        Assert.True(r[1] > r[0], $"the second store wrote at {r[1]}, not above the first's {r[0]}");
        Assert.Equal(r[1], r[2]);
        Assert.True(r[3] >= r[1], $"the clock {r[3]} is below the stored write {r[1]}");
        Assert.Equal(r[1], r[4]);
    }

    // Where the waiting tab's notice sits, what else of the page shows, and how readable the notice's text is.
    private const string WaitingLayout =
        """
        () => {
          const luminance = css => {
            const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
              .map(c => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const ratio = (a, b) => { const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05); };
          const notice = document.getElementById("other-tab");
          const box = notice.getBoundingClientRect();
          const background = getComputedStyle(notice).backgroundColor;
          const texts = [...notice.querySelectorAll("*")].filter(el => el.textContent.trim() !== "");
          const shown = [...document.body.children]
            .filter(el => el !== notice && el.getClientRects().length > 0)
            .map(el => el.id || el.className || el.tagName);
          return {
            left: box.left, top: box.top, right: box.right, bottom: box.bottom, width: innerWidth, height: innerHeight,
            shown: shown.join(" "),
            contrast: Math.min(ratio(getComputedStyle(notice).color, background), ...texts.map(el => ratio(getComputedStyle(el).color, background))),
            noticeLuminance: luminance(background),
          };
        }
        """;

    [Fact]
    public async Task ASecondTabShowsOnlyACenteredReadableNoticeInBothThemesAndAtPhoneWidth()
    {
        // Arrange: a page, live, with a note in its list.
        await using var server = await InProcessServer.StartAsync();
        await using var first = await NotePage.OpenAsync(browser, server);
        await first.WaitForStatusAsync("connected");
        await first.CreateNoteAsync("work/plans", "Q3 plans");

        // Act: a second tab of the same profile opens.
        var second = await first.Context.NewPageAsync();
        await second.GotoAsync(first.PageUri.ToString());
        await Assertions.Expect(second.Locator("#other-tab")).ToBeVisibleAsync();

        // Assert: at each size and theme, the notice alone shows (no empty sidebar, status or editor of a
        // page that has not started), whole, in the middle of the window, its text at least WCAG AA.
        var cases = new (string Name, int Width, int Height, ColorScheme Scheme)[]
        {
            ("other-tab", NotePage.Desktop.Width, NotePage.Desktop.Height, ColorScheme.Light),
            ("other-tab-dark", NotePage.Desktop.Width, NotePage.Desktop.Height, ColorScheme.Dark),
            ("other-tab-phone", NotePage.Phone.Width, NotePage.Phone.Height, ColorScheme.Light),
        };
        foreach (var (name, width, height, scheme) in cases)
        {
            await second.SetViewportSizeAsync(width, height);
            await second.EmulateMediaAsync(new() { ColorScheme = scheme });
            var layout = await second.EvaluateAsync<WaitingTabLayout>(WaitingLayout);
            await second.ScreenshotAsync(new() { Path = Path.Combine(NotePage.ScreenshotDirectory, $"{name}.png") });
            Assert.True(layout.Shown == "", $"{name}: besides the notice, the page shows {layout.Shown}");
            Assert.True(layout.Left >= 0 && layout.Top >= 0 && layout.Right <= layout.Width && layout.Bottom <= layout.Height, $"{name}: the notice is not within the {layout.Width}x{layout.Height} window: {layout}");
            Assert.True(Math.Abs(((layout.Left + layout.Right) / 2) - (layout.Width / 2.0)) <= 2, $"{name}: the notice is not centered across: {layout}");
            Assert.True(Math.Abs(((layout.Top + layout.Bottom) / 2) - (layout.Height / 2.0)) <= 2, $"{name}: the notice is not centered down: {layout}");
            Assert.True(layout.Right - layout.Left >= Math.Min(300, width - 40), $"{name}: the notice is squeezed: {layout}");
            Assert.True(layout.Contrast >= 4.5, $"{name}: the notice's text has contrast {layout.Contrast:F2}, under 4.5");
            Assert.True(scheme == ColorScheme.Dark ? layout.NoticeLuminance < 0.05 : layout.NoticeLuminance > 0.8, $"{name}: the notice's background does not follow the theme: {layout}");
        }

        // Nothing of the page behind it takes the focus.
        await second.Keyboard.PressAsync("Tab");
        Assert.True(await second.EvaluateAsync<bool>("() => document.activeElement.closest('main, header, .topbar') === null"), "the Tab key reached the page behind the notice");
        Assert.False(await second.EvaluateAsync<bool>("() => 'notesync' in window"), "a second tab of the same device started writing");
    }

    // Playwright fills it by its properties' names.
    private sealed class WaitingTabLayout
    {
        public double Left { get; set; }

        public double Top { get; set; }

        public double Right { get; set; }

        public double Bottom { get; set; }

        public int Width { get; set; }

        public int Height { get; set; }

        public string Shown { get; set; } = "";

        public double Contrast { get; set; }

        public double NoticeLuminance { get; set; }

        public override string ToString() =>
            $"notice at ({Left:F0},{Top:F0})-({Right:F0},{Bottom:F0}) in {Width}x{Height}, background luminance {NoticeLuminance:F3}";
    }

    // The tab that is elected first (its page started); the other must not be.
    private static async Task<IPage> FirstReadyAsync(IPage a, IPage b)
    {
        var deadline = DateTime.UtcNow + ClientKit.WaitLimit;
        while (DateTime.UtcNow < deadline)
        {
            var readyA = await a.EvaluateAsync<bool>(Ready);
            var readyB = await b.EvaluateAsync<bool>(Ready);
            Assert.False(readyA && readyB, "both waiting tabs took over");
            if (readyA || readyB)
            {
                return readyA ? a : b;
            }

            await a.WaitForTimeoutAsync(50);
        }

        throw new TimeoutException("no waiting tab took over after the first closed");
    }
}
