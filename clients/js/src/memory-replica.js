// A replica held in memory, for SyncClient (protocol.js) where there is no IndexedDB (Node.js, a
// worker, a test): the same state as the page's store.js, worked out by the same functions
// (replica-changes.js), without the durability. A process that ends forgets it; the next start reads
// the space again from the server, and writes not yet acknowledged are lost with it.

import { topOf, winner } from "./crdt.js";
import { pendingChanges, planAck, planReject, planWrite } from "./replica-changes.js";

export class MemoryReplica {
  /** key -> state, {heads, replaced} (crdt.js). */
  entries = new Map();
  /** key -> the unacknowledged write of that key. */
  outbox = new Map();
  /** key -> versions a write from elsewhere replaced before the server took this device's edit. */
  kept = new Map();
  clock = 0;
  cursor = 0;
  epoch = null;
  reset = null;
  lastReset = null;
  deviceId;
  // While a reset is read: what the server showed of each key (crdt.js, noteServerWrites).
  #seen = null;

  constructor(deviceId) {
    if (!deviceId) throw new Error("MemoryReplica: a device id is required");
    this.deviceId = deviceId;
  }

  /** Writes `value` (null: delete) to `key` at the next tick of the clock, as an edit of every head held. */
  write(key, value) {
    const current = this.entries.get(key);
    const clock = Math.max(this.clock, topOf(current));
    const { write, state, item } = planWrite(key, value, current, clock, this.outbox.get(key), this.deviceId);
    this.clock = write.timestamp;
    this.entries.set(key, state);
    this.outbox.set(key, item);
    return write;
  }

  /** The text `key` holds (its winner's), or undefined when it was never written or is deleted. */
  get(key) {
    const state = this.entries.get(key);
    return state ? winner(state).value ?? undefined : undefined;
  }

  // ---- the replica SyncClient drives (protocol.js, the comment at its top) ----

  applyAck(ack, sent = [], behind = false) {
    const plan = planAck({ ...this, seen: this.#seen }, ack, sent, behind);
    for (const [key, state] of plan.updates) this.entries.set(key, state);
    for (const [key, item] of plan.outboxUpdates) {
      if (item) this.outbox.set(key, item);
      else this.outbox.delete(key);
    }
    for (const [key, copies] of plan.keptUpdates) this.kept.set(key, copies);
    this.clock = plan.clock;
    this.cursor = plan.cursor;
    this.epoch = plan.epoch;
    this.reset = plan.reset;
    this.#seen = plan.seen;
    if (plan.lastReset) this.lastReset = plan.lastReset;
    return plan.changedKeys;
  }

  reject(sent, message) {
    const { rejected, finished } = planReject(this.outbox, this.reset, sent, message);
    for (const [key, item] of rejected) this.outbox.set(key, item);
    if (finished) {
      this.lastReset = { keys: this.reset.keys.length, at: Date.now() };
      this.reset = null;
    }
  }

  pending(limit = 500) {
    return pendingChanges(this.outbox, limit);
  }
}
