// The page's durable state in IndexedDB, so a reload or a crash loses nothing: the replica
// (key -> writes, best first), the Lamport clock, the cursor (last_ack) and the outbox (writes not yet
// acknowledged, one per key: a newer edit of a note replaces its unsent older one, which it would
// beat anyway). Every change of state is one transaction, so the four never disagree.

import { merge, mergeChange } from "./crdt.js";

const DB_NAME = "notesync";
const DB_VERSION = 1;

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
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore("entries", { keyPath: "key" });   // {key, writes}
      db.createObjectStore("outbox", { keyPath: "key" });    // {key, value, timestamp, rejected?}
      db.createObjectStore("meta");                          // device_id, clock, cursor
    };
    const store = new NoteStore(await request(open));
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
  deviceId = "";

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
    const [entries, outbox, deviceId, clock, cursor] = await Promise.all([
      request(tx.objectStore("entries").getAll()),
      request(tx.objectStore("outbox").getAll()),
      request(tx.objectStore("meta").get("device_id")),
      request(tx.objectStore("meta").get("clock")),
      request(tx.objectStore("meta").get("cursor")),
    ]);
    for (const e of entries) this.entries.set(e.key, e.writes);
    for (const o of outbox) this.outbox.set(o.key, o);
    this.clock = clock ?? 0;
    this.cursor = cursor ?? 0;
    // One id per browser profile, made once: "web-" and 16 random hex digits (CONTRACT: 1..256 characters, no control characters).
    this.deviceId = deviceId ?? `web-${[...crypto.getRandomValues(new Uint8Array(8))].map(b => b.toString(16).padStart(2, "0")).join("")}`;
    if (!deviceId) tx.objectStore("meta").put(this.deviceId, "device_id");
    await done(tx);
  }

  /** Writes `value` (null: delete) to `key` at the next tick of the clock: replica and outbox in one transaction. */
  write(key, value) { return this.#serial(() => this.#write(key, value)); }

  async #write(key, value) {
    if (this.clock >= Number.MAX_SAFE_INTEGER) throw new Error("the Lamport clock reached 2^53-1");
    const w = { timestamp: this.clock + 1, device_id: this.deviceId, value };
    const next = merge(this.entries.get(key), w).state;
    const item = { key, value, timestamp: w.timestamp };
    const tx = this.#db.transaction(["entries", "outbox", "meta"], "readwrite");
    tx.objectStore("entries").put({ key, writes: next });
    tx.objectStore("outbox").put(item);
    tx.objectStore("meta").put(w.timestamp, "clock");
    await done(tx);
    this.clock = w.timestamp;
    this.entries.set(key, next);
    this.outbox.set(key, item);
    return w;
  }

  /**
   * Applies a sync_ack: merges its changes, moves clock and cursor forward, and drops from the outbox
   * the writes it acknowledges (`sent`: the changes of the push it answers). Returns the keys whose
   * state the merge changed (not the merely acknowledged ones).
   */
  applyAck(ack, sent = []) { return this.#serial(() => this.#applyAck(ack, sent)); }

  async #applyAck(ack, sent) {
    const changedKeys = [];
    const updates = new Map();
    let clock = this.clock;
    for (const change of ack.changes ?? []) {
      const { state, changed } = mergeChange(updates.get(change.key) ?? this.entries.get(change.key), change);
      if (changed) { updates.set(change.key, state); changedKeys.push(change.key); }
      clock = Math.max(clock, change.timestamp, ...(change.conflicts ?? []).map(s => s.timestamp));
    }
    clock = Math.max(clock, ack.ack_timestamp ?? 0);
    const cursor = Math.max(this.cursor, ack.ack_timestamp ?? 0);
    // A sent write leaves the outbox only if no newer edit of its key replaced it meanwhile.
    const acked = sent.filter(c => this.outbox.get(c.key)?.timestamp === c.timestamp).map(c => c.key);
    const tx = this.#db.transaction(["entries", "outbox", "meta"], "readwrite");
    for (const [key, writes] of updates) tx.objectStore("entries").put({ key, writes });
    for (const key of acked) tx.objectStore("outbox").delete(key);
    tx.objectStore("meta").put(clock, "clock");
    tx.objectStore("meta").put(cursor, "cursor");
    await done(tx);
    for (const [key, writes] of updates) this.entries.set(key, writes);
    for (const key of acked) this.outbox.delete(key);
    this.clock = clock;
    this.cursor = cursor;
    return changedKeys;
  }

  /** Marks sent writes the server refused (bad_request, too_large) so they stop blocking the others; a new edit of the key clears it. */
  reject(sent, message) { return this.#serial(() => this.#reject(sent, message)); }

  async #reject(sent, message) {
    const tx = this.#db.transaction(["outbox"], "readwrite");
    const rejected = [];
    for (const c of sent) {
      const item = this.outbox.get(c.key);
      if (item?.timestamp !== c.timestamp) continue;
      const marked = { ...item, rejected: message };
      tx.objectStore("outbox").put(marked);
      rejected.push(marked);
    }
    await done(tx);
    for (const r of rejected) this.outbox.set(r.key, r);
  }

  /** The writes to send (not refused), as push changes, oldest first, at most `limit`. */
  pending(limit = 500) {
    return [...this.outbox.values()].filter(o => !o.rejected)
      .sort((a, b) => a.timestamp - b.timestamp).slice(0, limit)
      .map(o => ({ key: o.key, value: o.value, timestamp: o.timestamp }));
  }
}
