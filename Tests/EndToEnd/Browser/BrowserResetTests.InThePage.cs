using System.Text.Json;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>The page's own side of a reset (crdt.js, store.js), case by case in the page; the server only serves it.</summary>
public sealed partial class BrowserResetTests
{
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
              const { lostWrites, noteServerWrites, writesOf } = await import("/js/notesync/crdt.js");
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
                // The replica replaced what the server holds (all below 8; the phone's 6 by name): the re-upload names it.
                replacedOlder:      [[w(8, "web", "p")], [{ value: "p-old", timestamp: 3, device_id: "web" }], { floor: 8, named: [] }],
                replacedByName:     [[w(8, "web", "q")], [{ value: "q-old", timestamp: 6, device_id: "phone" }], { floor: 0, named: [{ timestamp: 6, device_id: "phone" }] }],
                // Written since the restore by a device that did not see the replica's edit: a head here too, never named.
                notSeenByIt:        [[w(8, "web", "r"), w(5, "tablet", "r-tablet")], [{ value: "r-tablet", timestamp: 5, device_id: "tablet" }], { floor: 0, named: [{ timestamp: 2, device_id: "web" }] }],
              };
              const entries = new Map();
              const seen = new Map();
              for (const [key, [writes, sent, replaced]] of Object.entries(cases)) {
                entries.set(`note:${key}`, { heads: writes, replaced: replaced ?? { floor: 0, named: [] } });
                for (const change of sent) noteServerWrites(seen, `note:${key}`, writesOf(change));
              }
              return lostWrites(entries, seen).map(c =>
                `${c.key.slice(5)}@${c.timestamp}=${c.value === null ? "null" : c.value} [${(c.base ?? ["none"]).map(b => b.device_id ? `${b.timestamp}@${b.device_id}` : b).join(",")}]`);
            }
            """);

        // Timestamp order, then key: each push raises the restored clock for the next. Each names the server's
        // heads the replica counts replaced (none in the cases whose replica replaced nothing); a value the
        // server holds is not sent again.
        string[] expected =
        [
            "sameValueTwoIds@2=m []",
            "deleteNotSent@4=null []",
            "deleteSentOlder@4=null []",
            "liveBesideDelete@5=k []",
            "notSent@5=a []",
            "missingSibling@6=f1 []",
            "sentOlder@7=b []",
            "notSeenByIt@8=r []",
            "replacedByName@8=q [6@phone]",
            "replacedOlder@8=p [3@web]",
            "lowerHeadMissing@9=o1 []",
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

              // The re-upload goes in two pushes of at most 2 writes.
              const first = s2.pending(2);
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
        // B2 is not among them: the server holds it (it sent it), only the sibling it lost goes back.
        string[] inOrder = ["note:b@5=B1", "note:c@8=null", "note:e@9=E", "note:d@11=D"];
        Assert.Equal(inOrder, pending);
        Assert.Contains(r.GetProperty("deviceId").GetString(), r.GetProperty("eWrites").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("F", r.GetProperty("f").GetString());

        Assert.Equal(2, r.GetProperty("firstPush").GetInt32());
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
}
