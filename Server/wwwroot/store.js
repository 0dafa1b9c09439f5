// The page's durable state in IndexedDB, so a reload or a crash loses nothing: the replica
// (key -> state: heads and what they replaced, crdt.js), the Lamport clock, the cursor (last_ack) with
// its epoch, and the outbox (writes not yet acknowledged, one item per key: a newer edit of a note
// replaces its unsent older one, and names what that one replaced). Every change of state is one
// transaction, so they never disagree.
// This module holds the in-memory mirror and its transactions; what an ack changes is worked out by
// replica-changes.js before the transaction that stores it.

import { topOf } from "./js/notesync/crdt.js";
import { keptOnOverwrite, pendingChanges, planAck, planReject, planWrite } from "./js/notesync/replica-changes.js";

const DB_NAME = "notesync";
// 2: the cursor has an epoch (meta "epoch") and a reset may be under way (meta "reset"). The bump keeps
// a page from before epochs, still open in some tab, from moving the cursor without its epoch: it
// cannot open version 2, and is asked to close by the versionchange event.
// 3: an entry is a state, {key, heads, replaced}, rather than {key, writes}; a page that stores writes
// cannot open it.
const DB_VERSION = 3;

function request(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

export class NoteStore {
  /** Opens (creating on first use) the database; `name` lets tests or embedders keep several apart. */
  static async open(name = DB_NAME) {
    const open = indexedDB.open(name, DB_VERSION);
    open.onupgradeneeded = event => {
      const db = open.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("entries", { keyPath: "key" });   // {key, heads, replaced}
        db.createObjectStore("outbox", { keyPath: "key" });    // {key, value, timestamp, base?, also?, rejected?}
        db.createObjectStore("meta");                          // device_id, clock, cursor, epoch, reset, kept
      } else if (event.oldVersion < 3) {
        // The writes at a key's top timestamp are its heads, and they replaced everything below them.
        open.transaction.objectStore("entries").openCursor().onsuccess = e => {
          const cursor = e.target.result;
          if (!cursor) return;
          const { key, writes } = cursor.value;
          if (writes?.length > 0) cursor.update({ key, heads: writes, replaced: { floor: writes[0].timestamp, named: [] } });
          else cursor.delete();
          cursor.continue();
        };
      }
      // From 1 the cursor stays: a version-1 cursor has no epoch, and the first answer names it (see #applyAck).
    };
    const db = await request(open);
    // A later version opened in another tab: let it upgrade rather than block it; this page stops syncing.
    db.onversionchange = () => db.close();
    const store = new NoteStore(db);
    await store.#load();
    return store;
  }

  #db;
  /** key -> state, {heads, replaced} (crdt.js; a mirror of the "entries" store). */
  entries = new Map();
  /** key -> the unacknowledged write of that key. */
  outbox = new Map();
  clock = 0;
  cursor = 0;
  /** The epoch of the frame the cursor came from (sent back on every push), or null. */
  epoch = null;
  deviceId = "";
  /**
   * The reset under way, or null: {phase: "reading"} while the whole space is read again, then
   * {phase: "reuploading", keys} until the outbox holds none of the re-uploaded keys. Persisted.
   */
  reset = null;
  /** How the last reset ended in this page ({keys, at}), for the notice; not persisted. */
  lastReset = null;
  /**
   * key -> versions of the note that a write replaced before the person saw them, kept until they
   * choose ({value, timestamp, device_id, reason}): "lost", an edit of this browser that a newer
   * write from elsewhere beat before it was acknowledged; "overwritten", a version that arrived
   * while the person was typing and their save replaced. Persisted (meta "kept").
   */
  kept = new Map();

  // While a reset is read: what the server showed of each key (crdt.js, noteServerWrites).
  #seen = null;
  #queue = Promise.resolve();

  constructor(db) { this.#db = db; }

  // Reads of the in-memory mirror and the transaction that persists them must not interleave with
  // another change (an ack merging while an edit is written), so every change runs in turn.
  #serial(fn) {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #load() {
    const tx = this.#db.transaction(["entries", "outbox", "meta"], "readwrite");
    const [entries, outbox, deviceId, clock, cursor, epoch, reset, kept] = await Promise.all([
      request(tx.objectStore("entries").getAll()),
      request(tx.objectStore("outbox").getAll()),
      request(tx.objectStore("meta").get("device_id")),
      request(tx.objectStore("meta").get("clock")),
      request(tx.objectStore("meta").get("cursor")),
      request(tx.objectStore("meta").get("epoch")),
      request(tx.objectStore("meta").get("reset")),
      request(tx.objectStore("meta").get("kept")),
    ]);
    for (const e of entries) this.entries.set(e.key, { heads: e.heads, replaced: e.replaced });
    for (const o of outbox) this.outbox.set(o.key, o);
    for (const [key, copies] of kept ?? []) this.kept.set(key, copies);
    // The clock must be above every timestamp held, or this browser's next edit of that note would
    // lose to what it already shows. A page from before this rule, open in two tabs, could store a
    // clock below a write of the other tab: repair it here.
    let floor = clock ?? 0;
    for (const e of entries) floor = Math.max(floor, topOf(e));
    for (const o of outbox) floor = Math.max(floor, o.timestamp);
    if (floor !== (clock ?? 0)) tx.objectStore("meta").put(floor, "clock");
    this.clock = floor;
    this.cursor = cursor ?? 0;
    this.epoch = epoch ?? null;
    this.reset = reset ?? null;
    if (this.reset?.phase === "reading") {
      // What the server showed before the reload is not kept: read the whole space again (within the
      // same epoch, so an ordinary pull from 0). Merging it twice changes nothing.
      this.cursor = 0;
      this.#seen = new Map();
    }
    // One id per browser profile, made once: "web-" and 16 random hex digits (docs/protocol.md §1: 1..256 characters, no control characters).
    this.deviceId = deviceId ?? `web-${[...crypto.getRandomValues(new Uint8Array(8))].map(b => b.toString(16).padStart(2, "0")).join("")}`;
    if (!deviceId) tx.objectStore("meta").put(this.deviceId, "device_id");
    await done(tx);
  }

  /**
   * Writes `value` (null: delete) to `key` at the next tick of the clock, as an edit of every head the
   * replica holds (its base): replica and outbox in one transaction. `from` is the write the person's
   * text started from: when the note holds another version now (it changed elsewhere while they typed),
   * that version is kept (`kept`) rather than silently replaced.
   */
  write(key, value, from = undefined) { return this.#serial(async () => (await this.#writeAll([{ key, value, from }]))[0]); }

  /**
   * Writes several keys in one transaction, each at its own tick of the clock, in order; their outbox
   * items form one group, which pending() keeps in one push. A rename is a delete and a create: as
   * one push the server takes both or neither (a push is atomic), so no device sees the note gone
   * without its new name, or twice. `changes`: [{key, value}]. Returns the writes.
   */
  writeAll(changes) { return this.#serial(() => this.#writeAll(changes.map(({ key, value }) => ({ key, value, from: undefined })), changes.length > 1)); }

  async #writeAll(changes, grouped = false) {
    const tx = this.#db.transaction(["entries", "outbox", "meta"], "readwrite");
    // Read inside the transaction rather than from the mirror: another tab of this browser may have
    // written since (while the tabs were electing, or by a page from before the election), and the
    // tick must pass its writes, and this item must not replace a newer one of its.
    const [storedClock, ...stored] = await Promise.all([
      request(tx.objectStore("meta").get("clock")),
      ...changes.flatMap(({ key }) => [request(tx.objectStore("entries").get(key)), request(tx.objectStore("outbox").get(key))]),
    ]);
    let clock = Math.max(this.clock, storedClock ?? 0);
    const written = [];
    let groupId;   // a group is named by its first write's timestamp
    for (const [i, { key, value, from }] of changes.entries()) {
      const [entry, storedItem] = [stored[2 * i], stored[2 * i + 1]];
      const current = entry ? { heads: entry.heads, replaced: entry.replaced } : this.entries.get(key);
      clock = Math.max(clock, topOf(current), storedItem?.timestamp ?? 0);
      let planned;
      try { planned = planWrite(key, value, current, clock, storedItem, this.deviceId); } catch (e) { tx.abort(); throw e; }
      const { write: w, state: next, item } = planned;
      clock = w.timestamp;
      // A later edit of a grouped item stays in its group, so the rename still goes up whole.
      if (grouped && i === 0) groupId = w.timestamp;
      const group = grouped ? groupId : storedItem?.group;
      if (group !== undefined) item.group = group;
      const kept = from === undefined ? null : keptOnOverwrite(this.kept.get(key), current, from, value, this.deviceId);
      tx.objectStore("entries").put({ key, ...next });
      tx.objectStore("outbox").put(item);
      if (kept) tx.objectStore("meta").put(this.#keptRecord(key, kept), "kept");
      written.push({ key, w, next, item, kept });
    }
    tx.objectStore("meta").put(clock, "clock");
    await done(tx);
    this.clock = clock;
    for (const { key, next, item, kept } of written) {
      this.entries.set(key, next);
      this.outbox.set(key, item);
      if (kept) this.kept.set(key, kept);
    }
    return written.map(d => d.w);
  }

  /** Closes the database and deletes it, this browser's device id included (sign-out); the store is unusable after. */
  erase() {
    return this.#serial(async () => {
      this.#db.close();
      await request(indexedDB.deleteDatabase(this.#db.name));
    });
  }

  /** The person chose what the note says: its kept versions go. */
  dismissKept(key) { return this.#serial(() => this.#dismissKept(key)); }

  async #dismissKept(key) {
    if (!this.kept.has(key)) return;
    const tx = this.#db.transaction(["meta"], "readwrite");
    tx.objectStore("meta").put(this.#keptRecord(key, null), "kept");
    await done(tx);
    this.kept.delete(key);
  }

  // The persisted form of `kept` with `key`'s copies replaced (null: removed).
  #keptRecord(key, copies) {
    const all = new Map(this.kept);
    if (copies && copies.length > 0) all.set(key, copies);
    else all.delete(key);
    return [...all];
  }

  /**
   * Applies a sync_ack: merges its changes, moves clock and cursor forward (or, on a reset, replaces
   * cursor and epoch), and drops from the outbox the writes it acknowledges (`sent`: the changes of
   * the push it answers). When the last frame of a reset arrives, queues what the server lost into
   * the outbox in the same transaction. Returns the keys whose state changed (not the merely
   * acknowledged ones). `behind`: the answer fell below the push's last_ack without naming a reset
   * (a server from before epochs that lost history): the space is read again from 0, as on a reset.
   */
  applyAck(ack, sent = [], behind = false) { return this.#serial(() => this.#applyAck(ack, sent, behind)); }

  async #applyAck(ack, sent, behind) {
    const replica = {
      entries: this.entries, outbox: this.outbox, kept: this.kept, clock: this.clock, cursor: this.cursor,
      epoch: this.epoch, reset: this.reset, seen: this.#seen, deviceId: this.deviceId,
    };
    const plan = planAck(replica, ack, sent, behind);
    const { changedKeys, updates, outboxUpdates, keptUpdates, cursor, epoch, reset, seen, lastReset } = plan;
    let clock = plan.clock;

    const tx = this.#db.transaction(["entries", "outbox", "meta"], "readwrite");
    // What another tab of this browser may have written meanwhile wins over the mirror: a newer item
    // of a key stays in the outbox, and the clock does not move back below its tick.
    const outboxKeys = [...outboxUpdates.keys()];
    const [storedClock, ...storedItems] = await Promise.all([
      request(tx.objectStore("meta").get("clock")),
      ...outboxKeys.map(key => request(tx.objectStore("outbox").get(key))),
    ]);
    outboxKeys.forEach((key, i) => {
      const planned = outboxUpdates.get(key);
      const theirs = storedItems[i];
      // A removal is of the acknowledged item; a re-upload beats nothing newer than itself.
      if (theirs && theirs.timestamp > (planned?.timestamp ?? this.outbox.get(key)?.timestamp ?? 0)) outboxUpdates.set(key, theirs);
    });
    clock = Math.max(clock, storedClock ?? 0);
    for (const [key, state] of updates) tx.objectStore("entries").put({ key, ...state });
    for (const [key, item] of outboxUpdates) {
      if (item) tx.objectStore("outbox").put(item);
      else tx.objectStore("outbox").delete(key);
    }
    let keptAll = null;
    if (keptUpdates.size > 0) {
      keptAll = new Map(this.kept);
      for (const [key, copies] of keptUpdates) keptAll.set(key, copies);
      tx.objectStore("meta").put([...keptAll], "kept");
    }
    tx.objectStore("meta").put(clock, "clock");
    tx.objectStore("meta").put(cursor, "cursor");
    tx.objectStore("meta").put(epoch, "epoch");
    tx.objectStore("meta").put(reset, "reset");
    await done(tx);
    for (const [key, state] of updates) this.entries.set(key, state);
    for (const [key, item] of outboxUpdates) {
      if (item) this.outbox.set(key, item);
      else this.outbox.delete(key);
    }
    this.clock = clock;
    this.cursor = cursor;
    this.epoch = epoch;
    this.reset = reset;
    this.#seen = seen;
    if (keptAll) this.kept = keptAll;
    if (lastReset) this.lastReset = lastReset;
    return changedKeys;
  }

  /** Marks sent writes the server refused (bad_request, too_large) so they stop blocking the others; a new edit of the key clears it. */
  reject(sent, message) { return this.#serial(() => this.#reject(sent, message)); }

  async #reject(sent, message) {
    const tx = this.#db.transaction(["outbox", "meta"], "readwrite");
    const { rejected, finished } = planReject(this.outbox, this.reset, sent, message);
    for (const marked of rejected.values()) tx.objectStore("outbox").put(marked);
    if (finished) tx.objectStore("meta").put(null, "reset");
    await done(tx);
    for (const [key, r] of rejected) this.outbox.set(key, r);
    if (finished) {
      this.lastReset = { keys: this.reset.keys.length, at: Date.now() };
      this.reset = null;
    }
  }

  /**
   * The writes to send (not refused), as push changes ({key, value, timestamp, base?}), oldest first, at most `limit` (more only when
   * one item alone has more values). An item's values stay together, so a push that refuses one
   * (bad_request, too_large) names that item.
   */
  pending(limit = 500) {
    return pendingChanges(this.outbox, limit);
  }
}
