using Microsoft.Playwright;
using NoteSync.Server.Stores.Redis;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page after its server was restored from a backup (docs/protocol.md, "Epochs and resets"): it
/// takes the reset, reads the space again, puts back what the server lost, and gets what is new.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed partial class BrowserResetTests(BrowserFixture browser)
{
    // Two changes a page, so every reset here is paged and its end is a later frame than its start.
    private static readonly Dictionary<string, string> SmallPages = new() { ["NoteSync__Sync__MaxChangesPerAck"] = "2" };

    private static readonly string[] AfterBackup = ["before/1.md", "before/2.md", "after/1.md", "after/2.md", "phone/after.md"];

    /// <summary>
    /// A page holds notes; the data folder is copied (the backup); the page writes more, edits and
    /// deletes, and takes a note from another device; the backup is put back. With <c>renew-epoch</c>
    /// (the documented procedure) new notes then take the server's cursor past the page's, so only the
    /// epoch tells; without it the page's last_ack is above the restored cursor. Either way the page
    /// ends with every note, the server and a fresh page too, and the notes written after the restore
    /// reach the page.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task APageOutlivingABackupRestorePutsBackWhatTheServerLost(bool renewEpoch, bool polling)
    {
        // Arrange: notes on the server, then the backup.
        await using var server = await InProcessServer.StartAsync(SmallPages);
        var query = polling ? "?enable_websocket=false&sync_interval_ms=200" : "";
        var live = polling ? "polling" : "connected";
        await using var page = await NotePage.OpenAsync(browser, server, query: query);
        await page.WaitForStatusAsync(live);
        await page.CreateNoteAsync("before/1", "first, in the backup");
        await page.CreateNoteAsync("before/2", "second, in the backup, deleted later");
        await page.CreateNoteAsync("kept", "untouched since the backup");
        await page.WaitForNothingUnsentAsync();
        await server.StopAsync();
        using var backup = DataDirectoryBackup.Take(server.DataDir);
        await server.StartAgainAsync();
        await page.WaitForStatusAsync(live);

        // ... what the backup will not have: new notes, an edit, a delete, another device's note.
        await page.CreateNoteAsync("after/1", "written after the backup");
        await page.CreateNoteAsync("after/2", "also after the backup");
        await page.EditAsync("before/1.md", "first, edited after the backup");
        await DeleteAsync(page, "before/2.md");
        await using (var phone = await WsDevice.ConnectAsync(server, "phone"))
        {
            await phone.PullAsync();
            await phone.PutAsync("note:phone/after.md", "from the phone, after the backup");
        }

        await page.WaitForValueAsync("phone/after.md", "from the phone, after the backup");
        await page.WaitForNothingUnsentAsync();
        var oldEpoch = await page.Page.EvaluateAsync<string?>("() => window.notesync.store.epoch");
        var oldCursor = await page.Page.EvaluateAsync<long>("() => window.notesync.store.cursor");
        Assert.False(string.IsNullOrEmpty(oldEpoch), "the server's acks carry no epoch");

        // Act: the restore, by the book, while the page is cut off.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await server.StopAsync();
        backup.RestoreInto(server.DataDir);
        if (renewEpoch)
        {
            await RenewEpochAsync(server.DataDir);
        }

        await server.StartAgainAsync();
        string[] restored = ["restored/1.md", "restored/2.md", "restored/3.md"];
        await using var desk = await WsDevice.ConnectAsync(server, "desk");
        await desk.PullAsync();
        Assert.Null(desk.ValueOf("note:after/1.md"));
        if (renewEpoch)
        {
            // New notes take the restored cursor past the page's: its last_ack alone now looks fine.
            var ack = await desk.PutAsync($"note:{restored[0]}", "new on the restored server", oldCursor + 100);
            Assert.True(ack.AckTimestamp > oldCursor, $"the server's cursor {ack.AckTimestamp} is not past the page's {oldCursor}");
        }

        await page.Context.SetOfflineAsync(false);
        await WaitForResetDoneAsync(page);

        // Assert: the page put back exactly what the backup lacks, its notice said so, and the epoch is new if renewed.
        Assert.Equal(AfterBackup.Length, await page.Page.EvaluateAsync<int>("() => window.notesync.store.lastReset.keys"));
        await Assertions.Expect(page.Page.Locator("#reset-notice")).ToHaveAttributeAsync("data-state", "done");
        await Assertions.Expect(page.Page.Locator("#reset-text")).ToContainTextAsync($"{AfterBackup.Length} notes from this browser put back");
        await page.ScreenshotAsync($"reset-done-{(renewEpoch ? "renewed" : "same-epoch")}{(polling ? "-polling" : "")}");
        var newEpoch = await page.Page.EvaluateAsync<string?>("() => window.notesync.store.epoch");
        if (renewEpoch)
        {
            Assert.NotEqual(oldEpoch, newEpoch);
        }

        // ... new notes written on the restored server reach the page.
        foreach (var path in renewEpoch ? restored[1..] : restored)
        {
            await desk.PutAsync($"note:{path}", "new on the restored server");
        }

        var expected = new Dictionary<string, string?>
        {
            ["before/1.md"] = "first, edited after the backup",
            ["before/2.md"] = null,
            ["kept.md"] = "untouched since the backup",
            ["after/1.md"] = "written after the backup",
            ["after/2.md"] = "also after the backup",
            ["phone/after.md"] = "from the phone, after the backup",
        };
        foreach (var path in restored)
        {
            expected[path] = "new on the restored server";
        }

        foreach (var (path, value) in expected)
        {
            await page.WaitForValueAsync(path, value);
        }

        // ... the server has every note: a raw device and a fresh page read them all.
        foreach (var (path, value) in expected)
        {
            await desk.WaitForValueAsync($"note:{path}", value);
        }

        await using var fresh = await NotePage.OpenAsync(browser, server, query: query);
        foreach (var (path, value) in expected)
        {
            await fresh.WaitForValueAsync(path, value);
        }
    }

    /// <summary>
    /// The page is reloaded after the reset's first page and before its last: what it read so far is
    /// gone with the reload, so it reads the space again, and still puts back what the server lost.
    /// </summary>
    [Fact]
    public async Task AReloadDuringAResetStillPutsBackWhatTheServerLost()
    {
        // Arrange: a page that hears nothing more once a reset frame reached it, on any connection, until
        // it is reloaded. A page whose WebSocket failed while the server restarted polls for a while, so
        // the reset may come over POST /sync instead: then every poll after it fails until the reload.
        await using var server = await InProcessServer.StartAsync(SmallPages);
        var cut = 0;
        var reloaded = false;
        await using var page = await NotePage.OpenAsync(browser, server, prepare: async context =>
        {
            await context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                var toServer = ws.ConnectToServer();
                toServer.OnMessage(frame =>
                {
                    // Every connection, a later one too (the page reconnects when its connection goes
                    // quiet), hears nothing from the first reset frame on until the reload.
                    if (frame.Text is not { } text || (Volatile.Read(ref cut) == 1 && !Volatile.Read(ref reloaded)))
                    {
                        return;
                    }

                    ws.Send(text);
                    if (text.Contains("\"reset\":true", StringComparison.Ordinal))
                    {
                        Interlocked.Exchange(ref cut, 1);
                    }
                });
            });
            await context.RouteAsync("**/sync?*", async route =>
            {
                if (Volatile.Read(ref cut) == 1 && !Volatile.Read(ref reloaded))
                {
                    await route.AbortAsync();
                    return;
                }

                if (await FetchOrAbortAsync(route) is not { } response)
                {
                    return;
                }

                var text = await response.TextAsync();
                await route.FulfillAsync(new() { Response = response });
                if (text.Contains("\"reset\":true", StringComparison.Ordinal))
                {
                    Interlocked.Exchange(ref cut, 1);
                }
            });
        });
        await page.WaitForStatusAsync("connected");
        for (var i = 0; i < 5; i++)
        {
            await page.CreateNoteAsync($"old/{i}", $"old {i}");
        }

        await page.WaitForNothingUnsentAsync();
        await server.StopAsync();
        using var backup = DataDirectoryBackup.Take(server.DataDir);
        await server.StartAgainAsync();
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("new/a", "after the backup");
        await page.EditAsync("old/0.md", "old 0, edited after the backup");
        await page.WaitForNothingUnsentAsync();

        // Act: restore with a new epoch; the page takes the reset's first page, then is reloaded.
        await server.StopAsync();
        backup.RestoreInto(server.DataDir);
        await RenewEpochAsync(server.DataDir);
        await server.StartAgainAsync();
        await page.Page.WaitForFunctionAsync("() => window.notesync.store.reset?.phase === 'reading'");
        await Assertions.Expect(page.Page.Locator("#reset-notice")).ToHaveAttributeAsync("data-state", "reading");
        await page.ScreenshotAsync("reset-reading");
        Assert.Equal(1, Volatile.Read(ref cut));
        Volatile.Write(ref reloaded, true);
        await page.ReloadAsync();

        // Assert: after the reload the page finishes a reset of its own and the server has everything.
        await WaitForResetDoneAsync(page);
        Assert.Equal(2, await page.Page.EvaluateAsync<int>("() => window.notesync.store.lastReset.keys"));
        await using var reader = await WsDevice.ConnectAsync(server, "reader");
        await reader.PullAsync();
        await reader.WaitForValueAsync("note:new/a.md", "after the backup");
        await reader.WaitForValueAsync("note:old/0.md", "old 0, edited after the backup");
        for (var i = 1; i < 5; i++)
        {
            await reader.WaitForValueAsync($"note:old/{i}.md", $"old {i}");
        }
    }

    /// <summary>
    /// A lossy Redis failover under a live page: the new primary lacks one of the page's notes; the
    /// next write fences the clock and renames the space's history, the server drops the page's
    /// WebSocket, and the page reconnects, is reset, and puts the lost note back. The heartbeat is set
    /// far beyond the wait, so only the drop can bring the page back in time.
    /// </summary>
    [Fact]
    public async Task AHistoryLostUnderALivePageIsPutBackAfterTheServerDropsItsConnection()
    {
        // Arrange: a page live on a Redis-backed server, with notes; its WebSockets are counted.
        await using var server = await InProcessServer.StartOnStoreAsync(TestStores.Redis);
        var sockets = 0;
        await using var page = await NotePage.OpenAsync(browser, server, query: "?heartbeat_ms=600000", prepare: context =>
        {
            context.Page += (_, p) => p.WebSocket += (_, _) => Interlocked.Increment(ref sockets);
            return Task.CompletedTask;
        });
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("kept/1", "on the page, and in Redis until it is emptied");
        await page.CreateNoteAsync("kept/2", "this one too");
        await page.WaitForNothingUnsentAsync();
        var before = Volatile.Read(ref sockets);

        // Act: as after a failover to a replica that never got kept/1: the space's record names another
        // primary and the entry is gone (the layout of RedisKeys: clock, entries, log, primary, epoch).
        // Then another device writes.
        var keys = RedisKeys.For("default");
        await using (var redis = await server.Redis!.ConnectAsync())
        {
            var db = redis.GetDatabase();
            await db.StringSetAsync(keys[3], "replid-of-a-lost-primary");
            Assert.True(await db.HashDeleteAsync(keys[1], "note:kept/1.md"));
            Assert.True(await db.SortedSetRemoveAsync(keys[2], "note:kept/1.md"));
        }

        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        await writer.PullAsync();
        await writer.PutAsync("note:new.md", "written after the failover");

        // Assert: a new connection, reset on return, the lost note put back, the new one received.
        await WaitForResetDoneAsync(page);
        Assert.True(Volatile.Read(ref sockets) > before, $"the page stayed on its connection ({before} WebSocket(s))");
        Assert.Equal(1, await page.Page.EvaluateAsync<int>("() => window.notesync.store.lastReset.keys"));
        await page.WaitForValueAsync("new.md", "written after the failover");
        await using var reader = await WsDevice.ConnectAsync(server, "reader");
        await reader.PullAsync();
        await reader.WaitForValueAsync("note:kept/1.md", "on the page, and in Redis until it is emptied");
        await reader.WaitForValueAsync("note:kept/2.md", "this one too");
    }

    private static async Task WaitForResetDoneAsync(NotePage page)
    {
        try
        {
            await page.Page.WaitForFunctionAsync(
                "() => { const s = window.notesync.store; return s.lastReset !== null && s.reset === null && s.outbox.size === 0; }",
                null,
                new() { Timeout = (float)ClientKit.WaitLimit.TotalMilliseconds });
        }
        catch (TimeoutException ex)
        {
            var reset = await page.Page.EvaluateAsync<string>("() => JSON.stringify({ reset: window.notesync.store.reset, cursor: window.notesync.store.cursor, epoch: window.notesync.store.epoch })");
            throw new TimeoutException($"the page did not finish a reset ({reset}): {await page.DescribeAsync()}", ex);
        }
    }

    private static async Task DeleteAsync(NotePage page, string path)
    {
        await page.OpenFromListAsync(path);
        await Assertions.Expect(page.Page.Locator("#note-path")).ToHaveTextAsync(path);
        await page.Page.Locator("#delete").ClickAsync();
        await page.WaitForValueAsync(path, null);
    }

    /// <summary>The operator's step after putting back a copy <c>backup</c> did not make: <c>renew-epoch</c>, on the server's data directory, with the server stopped.</summary>
    private static async Task RenewEpochAsync(string dataDir)
    {
        var (exit, stdout, stderr) = await ServerCommand.RunAsync(new Dictionary<string, string> { ["NoteSync__DataDir"] = dataDir }, "renew-epoch");
        Assert.True(exit == 0, $"renew-epoch exited with {exit}: {stdout}{stderr}");
    }

    /// <summary>
    /// Sends a routed request on to the server. While the server is down (restarting) the fetch throws:
    /// the request is then aborted, so the page sees it fail as it would unrouted, instead of waiting
    /// for its request timeout on a route nobody answers.
    /// </summary>
    private static async Task<IAPIResponse?> FetchOrAbortAsync(IRoute route, RouteFetchOptions? options = null)
    {
        try
        {
            return await route.FetchAsync(options);
        }
        catch (PlaywrightException)
        {
            await route.AbortAsync();
            return null;
        }
    }
}
