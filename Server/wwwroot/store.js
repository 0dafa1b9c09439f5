// The page's durable state in IndexedDB, so a reload or a crash loses nothing: the replica
// (key -> writes, best first), the Lamport clock, the cursor (last_ack) with its epoch, and the outbox
// (writes not yet acknowledged, one item per key: a newer edit of a note replaces its unsent older one,
// which it would beat anyway). Every change of state is one transaction, so they never disagree.

import { lostWrites, merge, mergeChange, noteServerWrites, writesOf } from "./crdt.js";

const DB_NAME = "notesync";
// 2: the cursor has an epoch (meta "epoch") and a reset may be under way (meta "reset"). The bump keeps
// a page from before epochs, still open in some tab, from moving the cursor without its epoch: it
// cannot open version 2, and is asked to close by the versionchange event.
const DB_VERSION = 2;

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
        db.createObjectStore("entries", { keyPath: "key" });   // {key, writes}
        db.createObjectStore("outbox", { keyPath: "key" });    // {key, value, timestamp, also?, rejected?}
        db.createObjectStore("meta");                          // device_id, clock, cursor, epoch, reset, kept
      }
      // From 1 nothing moves: a version-1 cursor has no epoch, and the first answer names it (see #applyAck).
    };
    const db = await request(open);
    // A later version opened in another tab: let it upgrade rather than block it; this page stops syncing.
    db.onversionchange = () => db.close();
    const store = new NoteStore(db);
    await store.#load();
    return store;
  }

  #db;
  /** key -> writes, best first (a mirror of the "entries" store). */
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
    for (const e of entries) this.entries.set(e.key, e.writes);
    for (const o of outbox) this.outbox.set(o.key, o);
    for (const [key, copies] of kept ?? []) this.kept.set(key, copies);
    // The clock must be above every timestamp held, or this browser's next edit of that note would
    // lose to what it already shows. A page from before this rule, open in two tabs, could store a
    // clock below a write of the other tab: repair it here.
    let floor = clock ?? 0;
    for (const e of entries) for (const w of e.writes) floor = Math.max(floor, w.timestamp);
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
   * Writes `value` (null: delete) to `key` at the next tick of the clock: replica and outbox in one
   * transaction. `base` is the write the person's text started from: when the note holds another
   * version now (it changed elsewhere while they typed), that version is kept (`kept`) rather than
   * silently replaced.
   */
  write(key, value, base = undefined) { return this.#serial(() => this.#write(key, value, base)); }

  async #write(key, value, base) {
    const tx = this.#db.transaction(["entries", "outbox", "meta"], "readwrite");
    // Read inside the transaction rather than from the mirror: another tab of this browser may have
    // written since (while the tabs were electing, or by a page from before the election), and the
    // tick must pass its writes, and this item must not replace a newer one of its.
    const [storedClock, stored, storedItem] = await Promise.all([
      request(tx.objectStore("meta").get("clock")),
      request(tx.objectStore("entries").get(key)),
      request(tx.objectStore("outbox").get(key)),
    ]);
    const current = stored?.writes ?? this.entries.get(key);
    const clock = Math.max(this.clock, storedClock ?? 0, current?.[0]?.timestamp ?? 0, storedItem?.timestamp ?? 0);
    if (clock >= Number.MAX_SAFE_INTEGER) { tx.abort(); throw new Error("the Lamport clock reached 2^53-1"); }
    const w = { timestamp: clock + 1, device_id: this.deviceId, value };
    const next = merge(current, w).state;
    const item = { key, value, timestamp: w.timestamp };
    const kept = base === undefined ? null : keptOnOverwrite(this.kept.get(key), current, base, value, this.deviceId);
    tx.objectStore("entries").put({ key, writes: next });
    tx.objectStore("outbox").put(item);
    tx.objectStore("meta").put(w.timestamp, "clock");
    if (kept) tx.objectStore("meta").put(this.#keptRecord(key, kept), "kept");
    await done(tx);
    this.clock = w.timestamp;
    this.entries.set(key, next);
    this.outbox.set(key, item);
    if (kept) this.kept.set(key, kept);
    return w;
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
    const changedKeys = [];
    const updates = new Map();
    const stateOf = key => updates.get(key) ?? this.entries.get(key);
    const keptUpdates = new Map();
    let clock = this.clock;
    for (const change of ack.changes ?? []) {
      const before = stateOf(change.key);
      const { state, changed } = mergeChange(before, change);
      if (changed) { updates.set(change.key, state); changedKeys.push(change.key); }
      clock = Math.max(clock, change.timestamp, ...(change.conflicts ?? []).map(s => s.timestamp));
      // An edit of ours the server had not acknowledged, beaten by a newer write from elsewhere (the
      // person typed offline while another device edited): the merge drops it, so keep it for them.
      const item = this.outbox.get(change.key);
      if (changed && item && state[0].timestamp > item.timestamp) {
        const kept = keptOnLoss(keptUpdates.get(change.key) ?? this.kept.get(change.key), item, state, this.deviceId);
        if (kept) keptUpdates.set(change.key, kept);
      }
    }
    clock = Math.max(clock, ack.ack_timestamp ?? 0);

    let cursor = this.cursor;
    let epoch = this.epoch;
    let reset = this.reset;
    let seen = this.#seen;
    if (ack.reset) {
      // Our cursor named a history the server no longer has: its position replaces ours, even a lower one.
      cursor = ack.ack_timestamp ?? 0;
      epoch = ack.epoch ?? null;
      reset = { phase: "reading" };
      seen = new Map();
    } else if (behind) {
      // In one history an answer is never below the push's last_ack: this server lost what our cursor
      // counted, and said nothing. What it sent starts nowhere in particular, so read it all from 0.
      cursor = 0;
      epoch = ack.epoch ?? null;
      reset = { phase: "reading" };
      seen = new Map();
    } else if (ack.epoch != null && epoch != null && ack.epoch !== epoch) {
      // Another history without the flag (a frame that came before the server dropped the connection when the epoch changed):
      // its changes merge harmlessly, but its position is not one of ours. Our next push, with our
      // epoch, gets the reset.
    } else {
      cursor = Math.max(cursor, ack.ack_timestamp ?? 0);
      // A cursor from before epochs (database version 1) has none: it takes the first one it is answered in.
      epoch = ack.epoch ?? epoch;
    }

    // Outbox items this frame changes: key -> the item, or null when it leaves.
    const outboxUpdates = new Map();
    const itemOf = key => (outboxUpdates.has(key) ? outboxUpdates.get(key) : this.outbox.get(key));
    // A sent value leaves its item only if no newer edit of the key replaced the item meanwhile.
    for (const c of sent) {
      const item = itemOf(c.key);
      if (!item || item.timestamp !== c.timestamp) continue;
      const rest = valuesOf(item).filter(v => v !== (c.value ?? null));
      outboxUpdates.set(c.key, rest.length > 0 ? outboxItem(c.key, c.timestamp, rest, item.rejected) : null);
    }

    if (reset?.phase === "reading") {
      for (const change of ack.changes ?? []) noteServerWrites(seen, change.key, writesOf(change));
      // An answer leaves out what the server stores exactly as the push sent it: the push is its word for those.
      for (const c of sent) noteServerWrites(seen, c.key, [c]);
      if (!ack.more && !behind) {
        // The last page: the server has shown everything it has. Put back what it lost.
        const replica = new Map(this.entries);
        for (const [key, writes] of updates) replica.set(key, writes);
        const byKey = new Map();
        for (const w of lostWrites(replica, seen)) {
          // A note whose edit the server refused stays as the user sees it (marked); their next edit carries it.
          if (itemOf(w.key)?.rejected) continue;
          if (!byKey.has(w.key)) byKey.set(w.key, { timestamp: w.timestamp, values: [] });
          byKey.get(w.key).values.push(w.value);
        }
        for (const [key, { timestamp, values }] of byKey) {
          const item = itemOf(key);
          // An unsent edit at the same timestamp is one of these writes; an older one loses to them anyway.
          const all = item?.timestamp === timestamp ? [...new Set([...valuesOf(item), ...values])] : values;
          if (item?.timestamp === timestamp && all.length === valuesOf(item).length) { byKey.delete(key); continue; }   // already on its way
          outboxUpdates.set(key, outboxItem(key, timestamp, all));
          // The device holds its own writes, and a re-upload is one: the server will hold it under our id.
          let state = stateOf(key);
          let changed = false;
          for (const value of values) {
            const r = merge(state, { timestamp, device_id: this.deviceId, value });
            state = r.state;
            changed ||= r.outcome === "joined" || r.outcome === "replaced";
          }
          if (changed) { updates.set(key, state); if (!changedKeys.includes(key)) changedKeys.push(key); }
        }
        reset = { phase: "reuploading", keys: [...byKey.keys()] };
        seen = null;
      }
    }
    let lastReset = null;
    if (reset?.phase === "reuploading" && !reset.keys.some(key => itemOf(key) && !itemOf(key).rejected)) {
      lastReset = { keys: reset.keys.length, at: Date.now() };
      reset = null;
    }

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
    for (const [key, writes] of updates) tx.objectStore("entries").put({ key, writes });
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
    for (const [key, writes] of updates) this.entries.set(key, writes);
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
    const rejected = new Map();
    for (const c of sent) {
      const item = rejected.get(c.key) ?? this.outbox.get(c.key);
      if (item?.timestamp !== c.timestamp) continue;
      const marked = { ...item, rejected: message };
      tx.objectStore("outbox").put(marked);
      rejected.set(c.key, marked);
    }
    // A refused re-upload will not go by itself: the re-upload is over when only such ones are left.
    const current = key => rejected.get(key) ?? this.outbox.get(key);
    const finished = this.reset?.phase === "reuploading" && !this.reset.keys.some(key => current(key) && !current(key).rejected);
    if (finished) tx.objectStore("meta").put(null, "reset");
    await done(tx);
    for (const [key, r] of rejected) this.outbox.set(key, r);
    if (finished) {
      this.lastReset = { keys: this.reset.keys.length, at: Date.now() };
      this.reset = null;
    }
  }

  /**
   * The writes to send (not refused), as push changes, oldest first, at most `limit` (more only when
   * one item alone has more values). An item's values stay together, so a push that refuses one
   * (bad_request, too_large) names that item.
   */
  pending(limit = 500) {
    const changes = [];
    const items = [...this.outbox.values()].filter(o => !o.rejected).sort((a, b) => a.timestamp - b.timestamp);
    for (const o of items) {
      const values = valuesOf(o);
      if (changes.length > 0 && changes.length + values.length > limit) break;
      for (const value of values) changes.push({ key: o.key, value, timestamp: o.timestamp });
    }
    return changes;
  }
}

// The kept versions of a key after a write of this browser replaced `current` (its state before) while
// the person's text started from `base`: every value `current` held that they never saw, unless already
// kept, what they wrote, or this browser's own. Null when nothing is new to keep.
function keptOnOverwrite(copies, current, base, value, deviceId) {
  if (!current || current.length === 0) return null;
  const top = current[0];
  if (base && top.timestamp === base.timestamp && top.device_id === base.device_id) return null;
  const result = [...(copies ?? [])];
  for (const w of current) {
    if (w.device_id === deviceId || w.value === null || w.value === value || w.value === base?.value || result.some(c => c.value === w.value)) continue;
    result.push({ value: w.value, timestamp: w.timestamp, device_id: w.device_id, reason: "overwritten" });
  }
  return result.length > (copies?.length ?? 0) ? result : null;
}

// The kept versions of a key after `state`, a newer write from elsewhere, beat the unacknowledged
// outbox `item` of this browser: its values the note no longer shows. Null when nothing is new to keep.
function keptOnLoss(copies, item, state, deviceId) {
  const result = [...(copies ?? [])];
  for (const value of valuesOf(item)) {
    if (value === null || state.some(w => w.value === value) || result.some(c => c.value === value)) continue;
    result.push({ value, timestamp: item.timestamp, device_id: deviceId, reason: "lost" });
  }
  return result.length > (copies?.length ?? 0) ? result : null;
}

// An outbox item holds one write of its key, or, after a reset, every value the key has at its
// timestamp (`also`: the rest), each sent as its own change with that timestamp.
const valuesOf = item => [item.value, ...(item.also ?? [])];

function outboxItem(key, timestamp, values, rejected) {
  const item = { key, value: values[0], timestamp };
  if (values.length > 1) item.also = values.slice(1);
  if (rejected) item.rejected = rejected;
  return item;
}
