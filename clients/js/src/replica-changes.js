// What a sync_ack does to the replica, worked out in memory from the state the store holds, so that
// store.js can write it to IndexedDB in one transaction and only then show it: merges, the clock, the
// cursor and its epoch, the outbox, the kept versions, and the phases of a reset (docs/protocol.md,
// "Epochs and resets"). No IndexedDB and no DOM here.

import { baseOf, covers, fromChange, join, lostWrites, merge, mergeWithBase, noteServerWrites, topOf, unionBase, writesOf } from "./crdt.js";

/**
 * The plan for one sync_ack (store.js, applyAck): `replica` is the state before it ({entries, outbox,
 * kept, clock, cursor, epoch, reset, seen, deviceId}; `seen` is what a reset read so far, and is added
 * to in place). Returns the new clock, cursor, epoch, reset and seen; `updates` (key -> state),
 * `outboxUpdates` (key -> item, or null when it leaves) and `keptUpdates` (key -> kept versions) to
 * store; `lastReset` when a re-upload just ended; and `changedKeys`, the keys whose state changed.
 */
export function planAck(replica, ack, sent, behind) {
  const changedKeys = [];
  const updates = new Map();
  const stateOf = key => updates.get(key) ?? replica.entries.get(key);
  const keptUpdates = new Map();
  let clock = replica.clock;
  for (const change of ack.changes ?? []) {
    const { state, changed } = join(stateOf(change.key), fromChange(change));
    if (changed) { updates.set(change.key, state); changedKeys.push(change.key); }
    clock = Math.max(clock, topOf(state));
    // An edit of ours the server had not acknowledged, replaced by a write from elsewhere that did not
    // see it (a write without base at a higher timestamp, from a device of the timestamp rule): the join
    // drops it, so keep it for them. An edit from elsewhere with base leaves it a head, in conflict.
    const item = replica.outbox.get(change.key);
    if (changed && item && covers(state.replaced, item.timestamp, replica.deviceId)) {
      const kept = keptOnLoss(keptUpdates.get(change.key) ?? replica.kept.get(change.key), item, state, replica.deviceId);
      if (kept) keptUpdates.set(change.key, kept);
    }
  }
  clock = Math.max(clock, ack.ack_timestamp ?? 0);

  let cursor = replica.cursor;
  let epoch = replica.epoch;
  let reset = replica.reset;
  let seen = replica.seen;
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
  const itemOf = key => (outboxUpdates.has(key) ? outboxUpdates.get(key) : replica.outbox.get(key));
  // A sent value leaves its item only if no newer edit of the key replaced the item meanwhile.
  for (const c of sent) {
    const item = itemOf(c.key);
    if (!item || item.timestamp !== c.timestamp) continue;
    const rest = valuesOf(item).filter(v => v !== (c.value ?? null));
    outboxUpdates.set(c.key, rest.length > 0 ? outboxItem(c.key, c.timestamp, rest, item) : null);
  }

  if (reset?.phase === "reading") {
    for (const change of ack.changes ?? []) noteServerWrites(seen, change.key, writesOf(change));
    // An answer leaves out what the server stores exactly as the push sent it: the push is its word for those.
    for (const c of sent) noteServerWrites(seen, c.key, [c]);
    if (!ack.more && !behind) {
      // The last page: the server has shown everything it has. Put back what it lost.
      const entries = new Map(replica.entries);
      for (const [key, state] of updates) entries.set(key, state);
      const byKey = new Map();
      for (const w of lostWrites(entries, seen)) {
        // A note whose edit the server refused stays as the user sees it (marked); their next edit carries it.
        if (itemOf(w.key)?.rejected) continue;
        if (!byKey.has(w.key)) byKey.set(w.key, { timestamp: w.timestamp, values: [], base: w.base });
        byKey.get(w.key).values.push(w.value);
      }
      for (const [key, { timestamp, values, base }] of byKey) {
        const item = itemOf(key);
        // An unsent edit at the same timestamp is one of these writes (they go with its base); an older
        // one was an edit of what the replica held, which these writes hold or replaced.
        const same = item?.timestamp === timestamp;
        const all = same ? [...new Set([...valuesOf(item), ...values])] : values;
        if (same && all.length === valuesOf(item).length) { byKey.delete(key); continue; }   // already on its way
        outboxUpdates.set(key, outboxItem(key, timestamp, all, same ? item : { base }));
        // The device holds its own writes, and a re-upload is one: the server will hold it under our id.
        let state = stateOf(key);
        let changed = false;
        for (const value of values) {
          const write = { timestamp, device_id: replica.deviceId, value };
          const r = base ? mergeWithBase(state, write, base) : merge(state, write);
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
  return { changedKeys, updates, outboxUpdates, keptUpdates, clock, cursor, epoch, reset, seen, lastReset };
}

// The kept versions of a key after a write of this browser replaced `current` (its state before) while
// the person's text started from `from`: every value of `current`'s heads that they never saw, unless
// already kept, what they wrote, or this browser's own. Null when nothing is new to keep.
export function keptOnOverwrite(copies, current, from, value, deviceId) {
  if (!current) return null;
  const top = current.heads[0];
  if (from && top.timestamp === from.timestamp && top.device_id === from.device_id) return null;
  const result = [...(copies ?? [])];
  for (const w of current.heads) {
    if (w.device_id === deviceId || w.value === null || w.value === value || w.value === from?.value || result.some(c => c.value === w.value)) continue;
    result.push({ value: w.value, timestamp: w.timestamp, device_id: w.device_id, reason: "overwritten" });
  }
  return result.length > (copies?.length ?? 0) ? result : null;
}

// The kept versions of a key after `state`, a write from elsewhere, replaced the unacknowledged
// outbox `item` of this browser: its values the note no longer shows. Null when nothing is new to keep.
function keptOnLoss(copies, item, state, deviceId) {
  const result = [...(copies ?? [])];
  for (const value of valuesOf(item)) {
    if (value === null || state.heads.some(w => w.value === value) || result.some(c => c.value === value)) continue;
    result.push({ value, timestamp: item.timestamp, device_id: deviceId, reason: "lost" });
  }
  return result.length > (copies?.length ?? 0) ? result : null;
}

// An outbox item holds one write of its key, or, after a reset, every value the key has at its
// timestamp (`also`: the rest), each sent as its own change with that timestamp and the item's base.
export const valuesOf = item => [item.value, ...(item.also ?? [])];

// The item of `values` at `timestamp`, with the base and refusal of `from`, the item it stands for.
function outboxItem(key, timestamp, values, from) {
  const item = { key, value: values[0], timestamp };
  if (from?.base) item.base = from.base;
  if (values.length > 1) item.also = values.slice(1);
  if (from?.rejected) item.rejected = from.rejected;
  return item;
}

/**
 * A write of `value` (null: delete) to `key` by `deviceId` at the tick after `clock`, as an edit of every
 * head `current` holds (its base), replacing `older`, the unsent outbox item of the key if any: the write,
 * the key's next state, and the outbox item that sends it.
 */
export function planWrite(key, value, current, clock, older, deviceId) {
  if (clock >= Number.MAX_SAFE_INTEGER) throw new Error("the Lamport clock reached 2^53-1");
  const write = { timestamp: clock + 1, device_id: deviceId, value };
  const base = baseOf(current);
  const state = mergeWithBase(current, write, base).state;
  // Undefined when the item goes without base (see itemBase): JSON leaves it out.
  return { write, state, item: { key, value, timestamp: write.timestamp, base: itemBase(older, base) } };
}

// The base of the outbox item of an edit made from `base` that replaces the unsent `older` item of its key.
// The server never gets the older edit, so the item names what that one replaced too: else a version the
// older edit replaced here would stay a head there. An older item without base (a re-upload after a reset,
// an edit of a page from before bases) replaced everything below it: so does this one (undefined: no base).
function itemBase(older, base) {
  if (!older) return base;
  return older.base ? unionBase(older.base, base) : undefined;
}

/**
 * The outbox items (key -> item) marked as refused with `message` for the `sent` changes the server will
 * never take as they are, and whether that ends the re-upload `reset` is in.
 */
export function planReject(outbox, reset, sent, message) {
  const rejected = new Map();
  for (const c of sent) {
    const item = rejected.get(c.key) ?? outbox.get(c.key);
    if (item?.timestamp !== c.timestamp) continue;
    rejected.set(c.key, { ...item, rejected: message });
  }
  // A refused re-upload will not go by itself: the re-upload is over when only such ones are left.
  const current = key => rejected.get(key) ?? outbox.get(key);
  const finished = reset?.phase === "reuploading" && !reset.keys.some(key => current(key) && !current(key).rejected);
  return { rejected, finished };
}

/**
 * The writes of `outbox` to send (not refused), as push changes ({key, value, timestamp, base?}), oldest
 * first, at most `limit` (more only when one item alone has more values). An item's values stay together,
 * so a push that refuses one (bad_request, too_large) names that item.
 */
export function pendingChanges(outbox, limit) {
  const changes = [];
  const items = [...outbox.values()].filter(o => !o.rejected).sort((a, b) => a.timestamp - b.timestamp);
  const taken = new Set();
  for (const first of items) {
    if (taken.has(first)) continue;
    // Items of one group (the page's rename: a delete and a create) go whole, unless the client looks
    // for a refused write one at a time (limit 1): then a refused group must come apart for its bad
    // write to be found.
    const unit = first.group !== undefined && limit > 1 ? items.filter(o => o.group === first.group) : [first];
    const values = unit.flatMap(o => valuesOf(o).map(value => ({ o, value })));
    if (changes.length > 0 && changes.length + values.length > limit) break;
    for (const o of unit) taken.add(o);
    for (const { o, value } of values) changes.push(o.base ? { key: o.key, value, timestamp: o.timestamp, base: o.base } : { key: o.key, value, timestamp: o.timestamp });
  }
  return changes;
}
