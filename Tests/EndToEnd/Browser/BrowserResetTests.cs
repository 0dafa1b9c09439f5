using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using NoteSync.Server.Stores.Redis;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page after its server was restored from a backup (docs/protocol.md, "Epochs and resets"): it
/// takes the reset, reads the space again, puts back what the server lost, and gets what is new.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserResetTests(BrowserFixture browser)
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
        using var backup = new TempDirectory();
        await server.StopAsync();
        CopyFolder(server.DataDir, backup.Path);
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
        RestoreFolder(backup.Path, server.DataDir);
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
        // Arrange: a page whose first connection to see a reset frame hears nothing more after it. A
        // page whose WebSocket failed while the server restarted polls for a while, so the reset may
        // come over POST /sync instead: then every poll after it fails until the reload.
        await using var server = await InProcessServer.StartAsync(SmallPages);
        var cut = 0;
        var reloaded = false;
        await using var page = await NotePage.OpenAsync(browser, server, prepare: async context =>
        {
            await context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                var toServer = ws.ConnectToServer();
                var silent = false;
                toServer.OnMessage(frame =>
                {
                    if (silent || frame.Text is not { } text)
                    {
                        return;
                    }

                    ws.Send(text);
                    if (text.Contains("\"reset\":true", StringComparison.Ordinal) && Interlocked.Exchange(ref cut, 1) == 0)
                    {
                        silent = true;
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

                var response = await route.FetchAsync();
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
        using var backup = new TempDirectory();
        await server.StopAsync();
        CopyFolder(server.DataDir, backup.Path);
        await server.StartAgainAsync();
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("new/a", "after the backup");
        await page.EditAsync("old/0.md", "old 0, edited after the backup");
        await page.WaitForNothingUnsentAsync();

        // Act: restore with a new epoch; the page takes the reset's first page, then is reloaded.
        await server.StopAsync();
        RestoreFolder(backup.Path, server.DataDir);
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
    /// A server that names no epochs and no resets (one from before them, here the real server with
    /// <c>epoch</c> and <c>reset</c> taken out of every frame both ways) is restored from a backup: the
    /// page's last_ack is above its cursor, and its answer falls below the push's last_ack. The page
    /// takes that as a reset, reads the space again from 0, and puts back what the server lost.
    /// </summary>
    [Fact]
    public async Task AnAnswerBelowTheCursorFromAServerWithoutEpochsIsTakenAsAReset()
    {
        // Arrange: a page whose WebSocket frames lose their epoch and reset fields.
        await using var server = await InProcessServer.StartAsync(SmallPages);
        await using var page = await NotePage.OpenAsync(browser, server, prepare: context =>
            context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                var toServer = ws.ConnectToServer();
                ws.OnMessage(frame =>
                {
                    if (frame.Text is { } text)
                    {
                        toServer.Send(WithoutEpochs(text));
                    }
                });
                toServer.OnMessage(frame =>
                {
                    if (frame.Text is { } text)
                    {
                        ws.Send(WithoutEpochs(text));
                    }
                });
            }));
        await page.WaitForStatusAsync("connected");
        for (var i = 0; i < 3; i++)
        {
            await page.CreateNoteAsync($"old/{i}", $"old {i}");
        }

        await page.WaitForNothingUnsentAsync();
        using var backup = new TempDirectory();
        await server.StopAsync();
        CopyFolder(server.DataDir, backup.Path);
        await server.StartAgainAsync();
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("new/a", "after the backup");
        await page.CreateNoteAsync("new/b", "also after the backup");
        await page.EditAsync("old/0.md", "old 0, edited after the backup");
        await page.WaitForNothingUnsentAsync();
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => window.notesync.store.epoch"));

        // Act: the backup is put back (no epoch to renew: this server has none) while the page is offline.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await server.StopAsync();
        RestoreFolder(backup.Path, server.DataDir);
        await server.StartAgainAsync();
        await page.Context.SetOfflineAsync(false);

        // Assert: the page reads the space again and puts back exactly the three writes the backup lacks.
        await WaitForResetDoneAsync(page);
        Assert.Equal(3, await page.Page.EvaluateAsync<int>("() => window.notesync.store.lastReset.keys"));
        await using var reader = await WsDevice.ConnectAsync(server, "reader");
        await reader.PullAsync();
        await reader.WaitForValueAsync("note:new/a.md", "after the backup");
        await reader.WaitForValueAsync("note:new/b.md", "also after the backup");
        await reader.WaitForValueAsync("note:old/0.md", "old 0, edited after the backup");
        await reader.WaitForValueAsync("note:old/2.md", "old 2");

        // ... and its cursor is the server's again: a note written there now reaches it.
        await reader.PutAsync("note:restored/x.md", "on the restored server");
        await page.WaitForValueAsync("restored/x.md", "on the restored server");
        var cursors = await page.Page.EvaluateAsync<long>("() => window.notesync.store.cursor");
        Assert.True(cursors <= reader.Cursor, $"the page's cursor {cursors} is above the server's {reader.Cursor}");
    }

    // A frame as a server from before epochs would have sent it (and a push as it would have read it).
    private static string WithoutEpochs(string text)
    {
        if (JsonNode.Parse(text) is not JsonObject frame)
        {
            return text;
        }

        frame.Remove("epoch");
        frame.Remove("reset");
        return frame.ToJsonString();
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

    /// <summary>
    /// The re-upload decision (crdt.js, <c>lostWrites</c> over what <c>noteServerWrites</c> recorded)
    /// case by case, in the page.
    /// </summary>
    [Fact]
    public async Task TheReuploadDecisionTakesWhatTheServerLacksAndNothingElse()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        var result = await page.Page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const { lostWrites, noteServerWrites, writesOf } = await import("/crdt.js");
              const w = (timestamp, device_id, value) => ({ timestamp, device_id, value });
              // Each case: the replica's heads of one key (best first), and the changes the server sent for it.
              const cases = {
                notSent:            [[w(5, "web", "a")], []],
                sentOlder:          [[w(7, "web", "b")], [{ value: "b-old", timestamp: 4, device_id: "web" }]],
                sentSame:           [[w(7, "web", "c")], [{ value: "c", timestamp: 7, device_id: "web" }]],
                sameValueOtherId:   [[w(7, "phone", "d")], [{ value: "d", timestamp: 7, device_id: "web" }]],
                sentNewer:          [[w(3, "web", "e")], [{ value: "e-new", timestamp: 9, device_id: "desk" }]],
                missingSibling:     [[w(6, "tablet", "f2"), w(6, "phone", "f1")], [{ value: "f2", timestamp: 6, device_id: "tablet" }]],
                siblingsAsConflict: [[w(6, "tablet", "g2"), w(6, "phone", "g1")],
                                     [{ value: "g2", timestamp: 6, device_id: "tablet", conflict: true, conflicts: [{ value: "g1", timestamp: 6, device_id: "phone" }] }]],
                siblingInLaterPage: [[w(6, "tablet", "h2"), w(6, "phone", "h1")],
                                     [{ value: "h2", timestamp: 6, device_id: "tablet" }, { value: "h1", timestamp: 6, device_id: "phone" }]],
                olderThenSame:      [[w(8, "web", "i")], [{ value: "i-old", timestamp: 2, device_id: "web" }, { value: "i", timestamp: 8, device_id: "web" }]],
                deleteNotSent:      [[w(4, "web", null)], []],
                deleteSentOlder:    [[w(4, "web", null)], [{ value: "alive", timestamp: 1, device_id: "web" }]],
                deleteSentSame:     [[w(4, "web", null)], [{ value: null, timestamp: 4, device_id: "web" }]],
                liveBesideDelete:   [[w(5, "web", "k"), w(5, "phone", null)], [{ value: null, timestamp: 5, device_id: "phone" }]],
                sameValueTwoIds:    [[w(2, "web", "m"), w(2, "phone", "m")], []],
                lowerHeadShown:     [[w(9, "desk", "n2"), w(4, "web", "n1")],
                                     [{ value: "n2", timestamp: 9, device_id: "desk", conflict: true, conflicts: [{ value: "n1", timestamp: 4, device_id: "web" }] }]],
                lowerHeadMissing:   [[w(9, "desk", "o2"), w(4, "web", "o1")], [{ value: "o2", timestamp: 9, device_id: "desk" }]],
              };
              const entries = new Map();
              const seen = new Map();
              for (const [key, [writes, sent]] of Object.entries(cases)) {
                entries.set(`note:${key}`, { heads: writes, replaced: { floor: 0, named: [] } });
                for (const change of sent) noteServerWrites(seen, `note:${key}`, writesOf(change));
              }
              return lostWrites(entries, seen).map(c => `${c.key.slice(5)}@${c.timestamp}=${c.value === null ? "null" : c.value}`);
            }
            """);

        // Timestamp order, then key: each push raises the restored clock for the next.
        string[] expected =
        [
            "sameValueTwoIds@2=m",
            "deleteNotSent@4=null",
            "deleteSentOlder@4=null",
            "liveBesideDelete@5=k",
            "liveBesideDelete@5=null",
            "notSent@5=a",
            "missingSibling@6=f2",
            "missingSibling@6=f1",
            "sentOlder@7=b",
            "lowerHeadMissing@9=o2",
            "lowerHeadMissing@9=o1",
        ];
        Assert.Equal(expected, result.EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    /// <summary>
    /// The store's side of a reset, frame by frame (no server involved): cursor and epoch replaced,
    /// never moved back otherwise; the outbox kept; after a reopen mid-reset the space is read from 0;
    /// at the last page exactly the lost writes are queued, in timestamp order, and held as our own.
    /// </summary>
    [Fact]
    public async Task TheStoreTakesAResetFrameByFrame()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        var r = await page.Page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const { NoteStore } = await import("/store.js");
              const name = `reset-frames-${crypto.randomUUID()}`;
              const s = await NoteStore.open(name);
              const ack = (fields, changes = []) => ({ type: "sync_ack", changes, ...fields });
              const c = (key, value, timestamp, device_id, conflicts) => ({ key, value, timestamp, device_id, ...(conflicts ? { conflict: true, conflicts } : {}) });
              await s.applyAck(ack({ ack_timestamp: 10, epoch: "e1" }, [
                c("note:a", "A", 3, "phone"),
                c("note:b", "B2", 5, "tablet", [{ value: "B1", timestamp: 5, device_id: "phone" }]),
                c("note:c", null, 8, "phone"),
                c("note:e", "E", 9, "phone"),
              ]));
              await s.write("note:d", "D");
              const out = { start: { cursor: s.cursor, epoch: s.epoch, clock: s.clock } };
              await s.applyAck(ack({ ack_timestamp: 7, epoch: "e1" }));
              out.lowerAck = s.cursor;
              await s.applyAck(ack({ ack_timestamp: 50, epoch: "e-other" }));
              out.otherEpoch = { cursor: s.cursor, epoch: s.epoch };

              // The reset's first page: the restored server has a and b without its sibling.
              await s.applyAck(ack({ ack_timestamp: 5, epoch: "e2", reset: true, more: true }, [c("note:a", "A", 3, "phone"), c("note:b", "B2", 5, "tablet")]));
              out.reading = { cursor: s.cursor, epoch: s.epoch, phase: s.reset?.phase, outbox: s.outbox.size };

              // A reload: the store opens again and reads from 0.
              const s2 = await NoteStore.open(name);
              out.reopened = { cursor: s2.cursor, epoch: s2.epoch, phase: s2.reset?.phase, outbox: s2.outbox.size };
              await s2.applyAck(ack({ ack_timestamp: 5, epoch: "e2", more: true }, [c("note:a", "A", 3, "phone"), c("note:b", "B2", 5, "tablet")]));
              out.midway = { phase: s2.reset?.phase, outbox: s2.outbox.size };
              await s2.applyAck(ack({ ack_timestamp: 6, epoch: "e2" }, [c("note:c", "C-old", 2, "phone"), c("note:f", "F", 6, "desk")]));
              out.queued = { phase: s2.reset?.phase, keys: s2.reset?.keys, pending: s2.pending(), cursor: s2.cursor };
              out.eWrites = s2.entries.get("note:e").heads.map(w => w.device_id);
              out.deviceId = s2.deviceId;
              out.f = s2.entries.get("note:f")?.heads[0].value;

              // The re-upload goes in two pushes of at most 3 writes; b's two values stay together.
              const first = s2.pending(3);
              out.firstPush = first.length;
              await s2.applyAck(ack({ ack_timestamp: 9, epoch: "e2", request_id: "x1" }), first);
              out.afterFirst = { phase: s2.reset?.phase, outbox: s2.outbox.size };
              await s2.applyAck(ack({ ack_timestamp: 12, epoch: "e2", request_id: "x2" }), s2.pending());
              out.end = { phase: s2.reset, lastReset: s2.lastReset?.keys, outbox: s2.outbox.size, cursor: s2.cursor, epoch: s2.epoch };
              return out;
            }
            """);

        Assert.Equal(10, r.GetProperty("start").GetProperty("cursor").GetInt64());
        Assert.Equal("e1", r.GetProperty("start").GetProperty("epoch").GetString());
        Assert.Equal(10, r.GetProperty("lowerAck").GetInt64());
        Assert.Equal(10, r.GetProperty("otherEpoch").GetProperty("cursor").GetInt64());
        Assert.Equal("e1", r.GetProperty("otherEpoch").GetProperty("epoch").GetString());

        // A reset replaces the cursor with a lower one, and keeps the unsent edit.
        Assert.Equal(5, r.GetProperty("reading").GetProperty("cursor").GetInt64());
        Assert.Equal("e2", r.GetProperty("reading").GetProperty("epoch").GetString());
        Assert.Equal("reading", r.GetProperty("reading").GetProperty("phase").GetString());
        Assert.Equal(1, r.GetProperty("reading").GetProperty("outbox").GetInt32());
        Assert.Equal(0, r.GetProperty("reopened").GetProperty("cursor").GetInt64());
        Assert.Equal("e2", r.GetProperty("reopened").GetProperty("epoch").GetString());
        Assert.Equal("reading", r.GetProperty("reopened").GetProperty("phase").GetString());
        Assert.Equal(1, r.GetProperty("reopened").GetProperty("outbox").GetInt32());
        Assert.Equal("reading", r.GetProperty("midway").GetProperty("phase").GetString());
        Assert.Equal(1, r.GetProperty("midway").GetProperty("outbox").GetInt32());

        // The last page: b (its lost sibling), c (a newer delete) and e (absent) go back; d was on its way already.
        var queued = r.GetProperty("queued");
        Assert.Equal("reuploading", queued.GetProperty("phase").GetString());
        string[] reuploaded = ["note:b", "note:c", "note:e"];
        Assert.Equal(reuploaded, queued.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(6, queued.GetProperty("cursor").GetInt64());
        var pending = queued.GetProperty("pending").EnumerateArray()
            .Select(p => $"{p.GetProperty("key").GetString()}@{p.GetProperty("timestamp").GetInt64()}={(p.GetProperty("value").ValueKind == JsonValueKind.Null ? "null" : p.GetProperty("value").GetString())}")
            .ToArray();
        string[] inOrder = ["note:b@5=B2", "note:b@5=B1", "note:c@8=null", "note:e@9=E", "note:d@11=D"];
        Assert.Equal(inOrder, pending);
        Assert.Contains(r.GetProperty("deviceId").GetString(), r.GetProperty("eWrites").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("F", r.GetProperty("f").GetString());

        Assert.Equal(3, r.GetProperty("firstPush").GetInt32());
        Assert.Equal("reuploading", r.GetProperty("afterFirst").GetProperty("phase").GetString());
        Assert.Equal(2, r.GetProperty("afterFirst").GetProperty("outbox").GetInt32());
        var end = r.GetProperty("end");
        Assert.Equal(JsonValueKind.Null, end.GetProperty("phase").ValueKind);
        Assert.Equal(3, end.GetProperty("lastReset").GetInt32());
        Assert.Equal(0, end.GetProperty("outbox").GetInt32());
        Assert.Equal(12, end.GetProperty("cursor").GetInt64());
        Assert.Equal("e2", end.GetProperty("epoch").GetString());
    }

    /// <summary>
    /// A database of the page before epochs (version 1) opens with its notes (each one's writes now its heads,
    /// which replaced everything below them), clock, cursor and outbox, and no epoch.
    /// </summary>
    [Fact]
    public async Task AVersionOneDatabaseOpensWithEverythingInIt()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        var r = await page.Page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const name = `v1-${crypto.randomUUID()}`;
              const req = indexedDB.open(name, 1);
              req.onupgradeneeded = () => {
                const db = req.result;
                db.createObjectStore("entries", { keyPath: "key" });
                db.createObjectStore("outbox", { keyPath: "key" });
                db.createObjectStore("meta");
              };
              const db = await new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
              const tx = db.transaction(["entries", "outbox", "meta"], "readwrite");
              tx.objectStore("entries").put({ key: "note:x", writes: [{ timestamp: 4, device_id: "web-old", value: "kept" }] });
              tx.objectStore("outbox").put({ key: "note:x", value: "kept", timestamp: 4 });
              tx.objectStore("meta").put("web-old", "device_id");
              tx.objectStore("meta").put(4, "clock");
              tx.objectStore("meta").put(3, "cursor");
              await new Promise(resolve => { tx.oncomplete = resolve; });
              db.close();
              const { NoteStore } = await import("/store.js");
              const s = await NoteStore.open(name);
              const x = s.entries.get("note:x");
              return { value: x.heads[0].value, replaced: x.replaced, deviceId: s.deviceId, clock: s.clock, cursor: s.cursor, epoch: s.epoch, reset: s.reset, pending: s.pending().length };
            }
            """);

        Assert.Equal("kept", r.GetProperty("value").GetString());
        Assert.Equal(4, r.GetProperty("replaced").GetProperty("floor").GetInt64());
        Assert.Equal(0, r.GetProperty("replaced").GetProperty("named").GetArrayLength());
        Assert.Equal("web-old", r.GetProperty("deviceId").GetString());
        Assert.Equal(4, r.GetProperty("clock").GetInt64());
        Assert.Equal(3, r.GetProperty("cursor").GetInt64());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("epoch").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("reset").ValueKind);
        Assert.Equal(1, r.GetProperty("pending").GetInt32());
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

    // The server was killed, so the database and its -wal are at rest: a file copy is a consistent backup.
    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    // The backup replaces the folder whole: a -wal left from after the backup must not replay onto it.
    private static void RestoreFolder(string backup, string dataDir)
    {
        foreach (var file in Directory.EnumerateFiles(dataDir))
        {
            File.Delete(file);
        }

        CopyFolder(backup, dataDir);
    }

    /// <summary>The operator's step after putting back a copy <c>backup</c> did not make: <c>renew-epoch</c>, on the server's data directory, with the server stopped.</summary>
    private static async Task RenewEpochAsync(string dataDir)
    {
        var (exit, stdout, stderr) = await ServerCommand.RunAsync(new Dictionary<string, string> { ["NoteSync__DataDir"] = dataDir }, "renew-epoch");
        Assert.True(exit == 0, $"renew-epoch exited with {exit}: {stdout}{stderr}");
    }
}
