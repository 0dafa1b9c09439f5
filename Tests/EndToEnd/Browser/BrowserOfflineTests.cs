using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>Editing goes on without the network, survives a reload, and is pushed on return.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserOfflineTests(BrowserFixture browser)
{
    [Fact]
    public async Task OfflineEditsArePushedOnReconnect()
    {
        // Arrange: a page and a raw device, both live, sharing one note.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("inbox/todo", "buy milk");
        await raw.WaitForValueAsync("note:inbox/todo.md", "buy milk");

        // Act: the network goes (Chromium's emulation); the page edits one note and creates another,
        // while the other device writes too.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("inbox/todo.md", "buy oat milk");
        await page.CreateNoteAsync("inbox/offline", "written on the train");
        await raw.PutAsync("note:inbox/phone", "written on the phone");

        // Assert: the edits wait in the outbox, counted in the status; the server has none of them.
        Assert.Equal(2, await page.UnsentAsync());
        await Assertions.Expect(page.Page.Locator("#unsent")).ToHaveTextAsync("2 unsent");
        await page.ScreenshotAsync("offline-unsent");
        await using (var check = HttpDevice.Create(server, "checker"))
        {
            await check.PullAsync();
            Assert.Equal("buy milk", check.ValueOf("note:inbox/todo.md"));
            Assert.Null(check.StateOf("note:inbox/offline.md"));
        }

        // Act: the network returns.
        await page.Context.SetOfflineAsync(false);

        // Assert: everything is pushed and pulled; nothing is left unsent.
        await page.WaitForStatusAsync("connected");
        await raw.WaitForValueAsync("note:inbox/todo.md", "buy oat milk");
        await raw.WaitForValueAsync("note:inbox/offline.md", "written on the train");
        await page.WaitForValueAsync("inbox/phone", "written on the phone");
        await page.WaitForNothingUnsentAsync();
        Assert.Equal(0, await page.UnsentAsync());
        await Assertions.Expect(page.Page.Locator("#unsent")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task ReloadKeepsUnsentEdits()
    {
        // Arrange: the server cannot be reached for sync (WebSocket and POST /sync blocked), the page can be.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        var blocked = true;
        await using var page = await NotePage.OpenAsync(browser, server, prepare: async context =>
        {
            await context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                if (blocked)
                {
                    // A mocked socket that closes at once: the page sees a server that drops it.
                    _ = ws.CloseAsync();
                    return;
                }

                ws.ConnectToServer();
            });
            await context.RouteAsync("**/sync?*", route => blocked ? route.AbortAsync() : route.ContinueAsync());
        });

        // Act: write while unsynced, then reload the page.
        await page.CreateNoteAsync("drafts/letter", "Dear Ann,");
        Assert.Equal(1, await page.UnsentAsync());
        await page.ReloadAsync();

        // Assert: the note and its place in the outbox came back from IndexedDB.
        Assert.Equal(1, await page.UnsentAsync());
        Assert.Equal("Dear Ann,", await page.ValueAsync("drafts/letter.md"));
        await Assertions.Expect(page.Item("drafts/letter.md").Locator(".badge.unsent")).ToBeVisibleAsync();
        await page.OpenFromListAsync("drafts/letter.md");
        await Assertions.Expect(page.Editor).ToHaveValueAsync("Dear Ann,");
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveTextAsync("Saved, not sent");

        // Act: the server is reachable again; one more reload, as a user coming back would.
        blocked = false;
        await page.ReloadAsync();

        // Assert: the kept edit is pushed and reaches the other device.
        await raw.WaitForValueAsync("note:drafts/letter.md", "Dear Ann,");
        await page.WaitForStatusAsync("connected");
        await page.WaitForNothingUnsentAsync();

        // The clock, the cursor and the device id outlive a reload too (a write after it must tick past every earlier one).
        const string State = "() => [window.notesync.store.clock, window.notesync.store.cursor, window.notesync.store.deviceId].join(' ')";
        var before = await page.Page.EvaluateAsync<string>(State);
        await page.ReloadAsync();
        Assert.Equal(before, await page.Page.EvaluateAsync<string>(State));
    }

    [Fact]
    public async Task AWriteTheServerRefusesIsKeptMarkedAndDoesNotHoldBackTheOthers()
    {
        // Arrange: a server that takes values of at most 64 bytes; a page and a raw device.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxValueBytes"] = "64" });
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");

        // Act: offline, one note too long for the server and one fine; then online, so both go in one push.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.CreateNoteAsync("long", new string('x', 100));
        await page.CreateNoteAsync("short", "fits");
        await page.Context.SetOfflineAsync(false);

        // Assert: the fine one is through; the refused one stays, marked, with the server's reason.
        await raw.WaitForValueAsync("note:short.md", "fits");
        await Assertions.Expect(page.Item("long.md").Locator(".badge.rejected")).ToBeVisibleAsync();
        await page.OpenFromListAsync("long.md");
        await Assertions.Expect(page.Page.Locator("#rejected-notice")).ToContainTextAsync("too_large");
        Assert.Equal(new string('x', 100), await page.ValueAsync("long.md"));
        await page.WaitForStatusAsync("connected");

        // Act + Assert: shortened, it is sent and the mark goes.
        await page.EditAsync("long.md", "shorter now");
        await raw.WaitForValueAsync("note:long.md", "shorter now");
        await Assertions.Expect(page.Page.Locator("#rejected-notice")).ToBeHiddenAsync();
        await page.WaitForNothingUnsentAsync();
        Assert.Equal(0, await page.UnsentAsync());
    }

    [Fact]
    public async Task ANoteTooLargeForAMessageIsRefusedWithTheReasonAndSentAgainOnlyOnceChanged()
    {
        // Arrange: a server that takes WebSocket messages of at most 4 KiB (larger: close 1009); a page and a raw device.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxMessageBytes"] = "4096" });
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        var big = new string('x', 6000);
        var bigPushes = 0;
        page.Page.WebSocket += (_, socket) => socket.FrameSent += (_, frame) =>
        {
            if (frame.Text?.Contains(big, StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref bigPushes);
            }
        };

        // Act: offline, one note too large for a message and one fine; then online, so both go in one push.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.CreateNoteAsync("huge", big);
        await page.CreateNoteAsync("small", "fits");
        await page.Context.SetOfflineAsync(false);

        // Assert: the fine one is through; the large one is kept, marked refused with the server's reason.
        await raw.WaitForValueAsync("note:small.md", "fits");
        await Assertions.Expect(page.Item("huge.md").Locator(".badge.rejected")).ToBeVisibleAsync();
        await page.OpenFromListAsync("huge.md");
        await Assertions.Expect(page.Page.Locator("#rejected-notice")).ToContainTextAsync("a message may be at most 4096 bytes");
        await Assertions.Expect(page.Page.Locator("#save-state")).ToHaveTextAsync("Refused");
        await page.WaitForStatusAsync("connected");
        var refusedAfter = Volatile.Read(ref bigPushes);
        Assert.InRange(refusedAfter, 1, 3);

        // ... and it is not sent again: not with the next edit, not after a reload.
        await page.EditAsync("small.md", "fits, edited");
        await raw.WaitForValueAsync("note:small.md", "fits, edited");
        await page.ReloadAsync();
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("after-reload", "also fits");
        await raw.WaitForValueAsync("note:after-reload.md", "also fits");
        Assert.Equal(refusedAfter, Volatile.Read(ref bigPushes));
        Assert.Equal(big, await page.ValueAsync("huge.md"));
        Assert.Null(raw.StateOf("note:huge.md"));

        // Act + Assert: changed to fit, it is sent and the mark goes.
        await page.EditAsync("huge.md", "cut down to size");
        await raw.WaitForValueAsync("note:huge.md", "cut down to size");
        await Assertions.Expect(page.Page.Locator("#rejected-notice")).ToBeHiddenAsync();
        await page.WaitForNothingUnsentAsync();
    }
}
