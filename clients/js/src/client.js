// NoteSyncClient: SyncClient (protocol.js) over a MemoryReplica, for code that wants notes rather
// than a replica to manage: put, get, delete, keys, and callbacks when other devices change them.
// The page does not use it: its replica is the IndexedDB store.js.

import { isConflict, siblings, winner } from "./crdt.js";
import { MemoryReplica } from "./memory-replica.js";
import { keyProblem, SyncClient } from "./protocol.js";

export class NoteSyncClient {
  /** Called with the keys a frame from the server changed. */
  onchanges = () => {};
  /** Called with (status, client) on every change of status or pending work. */
  onstatus = () => {};
  /** Called with an error frame ({code, message, request_id?, retry_after_ms?}). */
  onerror = () => {};

  /** The replica the notes are held in. */
  replica;
  /** The connection. */
  sync;
  #waiters = [];

  constructor({ baseUrl, deviceId, token = null, ...config }) {
    if (!baseUrl) throw new Error("NoteSyncClient: baseUrl is required");
    this.replica = new MemoryReplica(deviceId);
    this.sync = new SyncClient({ ...config, baseUrl, deviceId }, this.replica, token);
    this.sync.onchanges = keys => this.onchanges(keys);
    this.sync.onerror = error => this.onerror(error);
    this.sync.onstatus = status => { this.#settle(); this.onstatus(status, this); };
  }

  get status() { return this.sync.status; }

  start() { this.sync.start(); }

  stop() {
    this.sync.stop();
    for (const w of this.#waiters.splice(0)) { clearTimeout(w.timer); w.reject(new Error("the client stopped")); }
  }

  setToken(token) { this.sync.setToken(token); }

  /** Writes `text` to `key` and sends it; throws on a key the server would refuse (docs/protocol.md §1). */
  put(key, text) {
    if (typeof text !== "string") throw new TypeError("put: the text must be a string (delete() removes a note)");
    return this.#write(key, text);
  }

  delete(key) { return this.#write(key, null); }

  /** The text of `key`, or undefined when there is none (never written, or deleted). */
  get(key) { return this.replica.get(key); }

  /** The keys that hold text, sorted. */
  keys() {
    return [...this.replica.entries].filter(([, state]) => winner(state).value !== null).map(([key]) => key).sort();
  }

  /** The key's other texts when devices wrote it concurrently (a conflict; get() gives the winner), else []. */
  conflicts(key) {
    const state = this.replica.entries.get(key);
    return state && isConflict(state) ? siblings(state).map(w => w.value) : [];
  }

  /**
   * Resolves once every write so far is acknowledged by the server (nothing pending, no push awaiting
   * its answer); rejects after `timeoutMs`, or when the client stops.
   */
  flushed(timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, timer: setTimeout(() => this.#drop(waiter, new Error(`not flushed within ${timeoutMs} ms (status ${this.status})`)), timeoutMs) };
      this.#waiters.push(waiter);
      this.#settle();
    });
  }

  #write(key, value) {
    const problem = keyProblem(key);
    if (problem) throw Object.assign(new Error(`the key ${JSON.stringify(key)} ${problem}`), { code: "bad_request" });
    const write = this.replica.write(key, value);
    this.sync.kick();
    return write;
  }

  #settle() {
    const idle = (this.status === "connected" || this.status === "polling") && this.replica.pending(1).length === 0;
    if (!idle) return;
    for (const w of this.#waiters.splice(0)) { clearTimeout(w.timer); w.resolve(); }
  }

  #drop(waiter, error) {
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
    waiter.reject(error);
  }
}
