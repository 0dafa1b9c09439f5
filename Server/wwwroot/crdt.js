// The merge rule of docs/protocol.md §2, the same as Shared/Crdt (LwwMerge, EntryState, Write): a key's state
// is the set of distinct writes at the highest timestamp seen, best first. A write is
// {timestamp, device_id, value}; value null is a delete.

/** > 0 when a beats b at equal timestamps: device_id, then value, both ordinal; null lowest. */
export function compareForWinner(a, b) {
  if (a.device_id !== b.device_id) return a.device_id > b.device_id ? 1 : -1;   // JS `<` is ordinal over UTF-16, like string.CompareOrdinal
  if (a.value === b.value) return 0;
  if (a.value === null) return -1;
  if (b.value === null) return 1;
  return a.value > b.value ? 1 : -1;
}

/**
 * Merges one write into a state (an array of writes, best first; undefined when the key was never
 * written). Returns {state, outcome}: outcome is "replaced", "joined", "duplicate" or "ignored", and
 * state is the same array when nothing changed.
 */
export function merge(state, write) {
  const w = { timestamp: write.timestamp, device_id: write.device_id ?? "", value: write.value ?? null };
  if (!state || state.length === 0 || w.timestamp > state[0].timestamp) return { state: [w], outcome: "replaced" };
  if (w.timestamp < state[0].timestamp) return { state, outcome: "ignored" };
  if (state.some(x => x.device_id === w.device_id && x.value === w.value)) return { state, outcome: "duplicate" };
  return { state: [...state, w].sort((a, b) => compareForWinner(b, a)), outcome: "joined" };
}

/** The writes a change received in a sync_ack stands for: its winner and its siblings. */
export function writesOf(change) {
  const writes = [{ timestamp: change.timestamp, device_id: change.device_id ?? "", value: change.value ?? null }];
  for (const s of change.conflicts ?? []) writes.push({ timestamp: s.timestamp, device_id: s.device_id, value: s.value ?? null });
  return writes;
}

/** Merges every write of a received change; returns {state, changed}. */
export function mergeChange(state, change) {
  let changed = false;
  for (const w of writesOf(change)) {
    const r = merge(state, w);
    state = r.state;
    changed ||= r.outcome === "replaced" || r.outcome === "joined";
  }
  return { state, changed };
}

/** The winner's write. */
export const winner = state => state[0];

/** The writes whose value differs from the winner's (the conflict siblings), best first. */
export const siblings = state => state.filter(w => w.value !== state[0].value);

/** True while the state holds more than one distinct value. */
export const isConflict = state => state.some(w => w.value !== state[0].value);

// ---- resets (docs/protocol.md, "Epochs and resets") ----

/**
 * Records what the server showed of a key while a reset is read: `seen` maps key -> {timestamp,
 * values}, the highest timestamp the server sent for the key and every value it holds there. Later
 * frames may carry a key again (a newer state), so a higher timestamp replaces and an equal one adds.
 */
export function noteServerWrites(seen, key, writes) {
  for (const w of writes) {
    const value = w.value ?? null;
    const s = seen.get(key);
    if (!s || w.timestamp > s.timestamp) seen.set(key, { timestamp: w.timestamp, values: new Set([value]) });
    else if (w.timestamp === s.timestamp) s.values.add(value);
  }
}

/**
 * The re-upload decision of a reset: for every key of the replica (`entries`, key -> writes best
 * first) that the server did not show, showed at a lower timestamp, or showed at the same timestamp
 * without one of the replica's values, the replica's writes of that key as push changes
 * {key, value, timestamp}, in timestamp order (so each push raises the restored clock for the next,
 * inside the clock bound). Writes of one value from several devices are one change: a re-upload
 * carries the uploading device's id, so they would be the same write.
 */
export function lostWrites(entries, seen) {
  const lost = [];
  for (const [key, writes] of entries) {
    if (!writes || writes.length === 0) continue;
    const timestamp = writes[0].timestamp;
    const s = seen.get(key);
    const lacks = !s || s.timestamp < timestamp || (s.timestamp === timestamp && writes.some(w => !s.values.has(w.value ?? null)));
    if (!lacks) continue;
    for (const value of new Set(writes.map(w => w.value ?? null))) lost.push({ key, value, timestamp });
  }
  return lost.sort((a, b) => a.timestamp - b.timestamp || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
