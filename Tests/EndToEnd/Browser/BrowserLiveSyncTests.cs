using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>Two pages, and a page and the .NET client, see each other's edits as they happen.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserLiveSyncTests(BrowserFixture browser)
{
    [Fact]
    public async Task TwoPagesSyncLive()
    {
        // Arrange: one server, two browser profiles (two devices), the second at phone width.
        await using var server = await InProcessServer.StartAsync();
        await using var a = await NotePage.OpenAsync(browser, server);
        await using var b = await NotePage.OpenAsync(browser, server, NotePage.Phone);
        await a.WaitForStatusAsync("connected");
        await b.WaitForStatusAsync("connected");

        // Act: a creates notes; b opens one and edits it.
        await a.CreateNoteAsync("work/plans", "Ship the web page.\nThen the CLI.");
        await a.CreateNoteAsync("inbox/groceries.txt", "oat milk, bread");
        await a.OpenFromListAsync("work/plans.md");
        await Assertions.Expect(b.Item("work/plans.md")).ToBeVisibleAsync();
        await Assertions.Expect(b.Item("work/plans.md").Locator(".note-title")).ToHaveTextAsync("plans");
        await b.OpenFromListAsync("work/plans.md");
        await Assertions.Expect(b.Editor).ToHaveValueAsync("Ship the web page.\nThen the CLI.");
        await b.EditAsync("work/plans.md", "Ship the web page.\nThen the CLI.\nThen rest.");

        // Assert: a's open editor follows b's edit live; both are synced, with nothing unsent, on the
        // WebSocket (the page's CSP allows its own server's ws:// as 'self'), with no CSP report.
        await Assertions.Expect(a.Editor).ToHaveValueAsync("Ship the web page.\nThen the CLI.\nThen rest.");
        await a.WaitForStatusAsync("connected");
        Assert.Equal(0, await a.UnsentAsync());
        Assert.NotEqual(await a.DeviceIdAsync(), await b.DeviceIdAsync());
        Assert.Matches("^web-[0-9a-f]{16}$", await a.DeviceIdAsync());
        await Assertions.Expect(a.Page.Locator("#note-list .folder[data-folder=\"work\"]")).ToBeVisibleAsync();
        await a.ScreenshotAsync("live-desktop");
        await b.ScreenshotAsync("live-phone-editor");
        await b.Page.Locator("#back").ClickAsync();
        await Assertions.Expect(b.Item("inbox/groceries.txt")).ToBeVisibleAsync();
        await b.ScreenshotAsync("live-phone-list");
        Assert.Equal("websocket", await a.Page.EvaluateAsync<string>("() => window.notesync.client.transport"));
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }

    [Fact]
    public async Task PageAndDotNetClientSyncLive()
    {
        // Arrange: a page and the NoteSync.Client library (on the SignalR hub) on one server.
        await using var server = await InProcessServer.StartAsync();
        using var dir = new TempDirectory();
        await using var client = ClientKit.Start(server, "laptop", dir.Path);
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");

        // Act + Assert: the client's write appears in the page's list; the page's edit reaches the client.
        await client.PutAsync("journal/today", "written on the laptop");
        await Assertions.Expect(page.Item("journal/today")).ToBeVisibleAsync();
        await Assertions.Expect(page.Item("journal/today").Locator(".note-title")).ToHaveTextAsync("today");
        await page.EditAsync("journal/today", "written on the laptop, edited in the browser");
        await ClientKit.WaitUntilAsync(() => client.Get("journal/today") == "written on the laptop, edited in the browser", "the page's edit on the client");
        await page.CreateNoteAsync("journal/tomorrow", "from the browser");
        await ClientKit.WaitUntilAsync(() => client.Get("journal/tomorrow.md") == "from the browser", "the page's new note on the client");
        await client.DeleteAsync("journal/today");
        await Assertions.Expect(page.Item("journal/today")).ToHaveCountAsync(0);
        Assert.Empty(page.Errors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PageWithoutWebSocketsSyncsByPolling(bool turnedOffInAddress)
    {
        // Arrange: a browser without WebSocket, or a page told not to use it (SyncConfig.EnableWebSocket), and a raw device.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "script");
        await raw.PullAsync();
        await using var page = turnedOffInAddress
            ? await NotePage.OpenAsync(browser, server, query: "?enable_websocket=false&sync_interval_ms=200")
            : await NotePage.OpenAsync(browser, server, prepare: c => c.AddInitScriptAsync("delete window.WebSocket;"));

        // Act
        await page.WaitForStatusAsync("polling");
        await page.CreateNoteAsync("polled", "sent over POST /sync");
        await raw.PutAsync("note:pushed", "seen by the next poll");

        // Assert: both ways, over HTTP only (the page has no WebSocket to use).
        await raw.WaitForValueAsync("note:polled.md", "sent over POST /sync");
        await page.WaitForValueAsync("pushed", "seen by the next poll");
        Assert.Equal("polling", await page.Page.EvaluateAsync<string>("() => window.notesync.client.transport"));
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task AWebSocketThatFailedOnceWhileHttpWorksIsTriedAgainBeforeThePagePolls()
    {
        // Arrange: the page's first WebSocket fails to open (as while a server restarts: the upgrade
        // failed, the probe that follows finds the server back); every later one goes through. The
        // page waits the default 60 s before it tries a WebSocket again once it polls.
        await using var server = await InProcessServer.StartAsync();
        var refused = 0;
        await using var page = await NotePage.OpenAsync(browser, server, prepare: context =>
            context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                if (Interlocked.Increment(ref refused) > 1)
                {
                    ws.ConnectToServer();
                    return;
                }

                _ = ws.CloseAsync(new() { Code = 1006 });
            }));

        // Act + Assert: connected on a WebSocket, not polling for a minute.
        await page.WaitForStatusAsync("connected");
        Assert.Equal("websocket", await page.Page.EvaluateAsync<string>("() => window.notesync.client.transport"));
        Assert.True(Volatile.Read(ref refused) >= 2, $"{refused} WebSockets opened: the first was not refused");
    }

    [Fact]
    public async Task PageFallsBackToPollingWhenItsWebSocketIsRefusedAndGoesBackToItLater()
    {
        // Arrange: every WebSocket the page opens to /ws/sync is refused (closed before it opens, never
        // reaching the server, as behind a proxy that drops upgrades) while POST /sync goes through. The
        // address shortens the wait before the page tries a WebSocket again from 60 s to 1 s.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        var refused = 0;
        var blocked = true;
        await using var page = await NotePage.OpenAsync(browser, server, query: "?websocket_retry_ms=1000&sync_interval_ms=300", prepare: context =>
            context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                if (!Volatile.Read(ref blocked))
                {
                    ws.ConnectToServer();
                    return;
                }

                Interlocked.Increment(ref refused);
                _ = ws.CloseAsync(new() { Code = 1006 });
            }));

        // Act + Assert: the page says it polls, and notes go both ways over HTTP.
        await page.WaitForStatusAsync("polling");
        await Assertions.Expect(page.Page.Locator("#status-text")).ToHaveTextAsync("Connected (polling)");
        await page.CreateNoteAsync("recipes/bread", "500 g flour, 10 g salt");
        await raw.WaitForValueAsync("note:recipes/bread.md", "500 g flour, 10 g salt");
        await raw.PutAsync("note:recipes/soup.md", "leeks, potatoes");
        await page.WaitForValueAsync("recipes/soup.md", "leeks, potatoes");
        await Assertions.Expect(page.Item("recipes/soup.md")).ToBeVisibleAsync();
        await page.WaitForNothingUnsentAsync();

        // While refused, it keeps trying a WebSocket every websocket_retry_ms, and keeps polling in between.
        await ClientKit.WaitUntilAsync(() => Volatile.Read(ref refused) >= 3, "three refused WebSocket attempts");
        await page.WaitForStatusAsync("polling");

        // Act: WebSockets work again.
        Volatile.Write(ref blocked, false);

        // Assert: back on the WebSocket well before the 60 s default would allow, live both ways.
        await Assertions.Expect(page.Status).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Page.Locator("#status-text")).ToHaveTextAsync("Connected");
        Assert.Equal("websocket", await page.Page.EvaluateAsync<string>("() => window.notesync.client.transport"));
        await page.EditAsync("recipes/bread.md", "500 g flour, 10 g salt, 7 g yeast");
        await raw.WaitForValueAsync("note:recipes/bread.md", "500 g flour, 10 g salt, 7 g yeast");
        await raw.PutAsync("note:recipes/soup.md", "leeks, potatoes, cream");
        await page.WaitForValueAsync("recipes/soup.md", "leeks, potatoes, cream");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task ASecondTabOfTheSameBrowserWaitsUntilTheFirstCloses()
    {
        // Arrange: a page, then a second tab of the same browser profile (same IndexedDB, same device id).
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        var second = await page.Context.NewPageAsync();

        // Act
        await second.GotoAsync(page.PageUri.ToString());

        // Assert: the second tab says so and does not sync; the first goes on.
        await Assertions.Expect(second.Locator("#other-tab")).ToBeVisibleAsync();
        Assert.False(await second.EvaluateAsync<bool>("() => 'notesync' in window"));
        await page.CreateNoteAsync("still/working", "in the first tab");
        await page.WaitForStatusAsync("connected");

        // Once the first tab closes, the second takes over, with the first one's notes.
        await page.Page.CloseAsync();
        await second.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'");
        await Assertions.Expect(second.Locator("#other-tab")).ToBeHiddenAsync();
        await Assertions.Expect(second.Locator(".note-item[data-key=\"note:still/working.md\"]")).ToBeVisibleAsync();
        await Assertions.Expect(second.Locator("#status")).ToHaveAttributeAsync("data-state", "connected");
    }
}
