// The merge rule of docs/protocol.md §2, the same as Shared/Crdt (LwwMerge, EntryState, ReplacedVersions,
// Write); a browser test checks them against each other. A key's state is {heads, replaced}: heads, the
// versions nothing replaced, best first (the winner first); replaced, {floor, named}: every version below
// floor, and per device (named, sorted by device_id, one each) every version at or below the timestamp a
// base named. A write is {timestamp, device_id, value}; value null is a delete. States are never mutated.

/** > 0 when a beats b at equal timestamps: device_id, then value, both ordinal; null lowest. */
export function compareForWinner(a, b) {
  if (a.device_id !== b.device_id) return a.device_id > b.device_id ? 1 : -1;   // JS `<` is ordinal over UTF-16, like string.CompareOrdinal
  if (a.value === b.value) return 0;
  if (a.value === null) return -1;
  if (b.value === null) return 1;
  return a.value > b.value ? 1 : -1;
}

/** > 0 when a is the better head: by timestamp, then as compareForWinner. */
export const compareHeads = (a, b) => (a.timestamp !== b.timestamp ? a.timestamp - b.timestamp : compareForWinner(a, b));

const NOTHING_REPLACED = { floor: 0, named: [] };
const MAX_BASE_VERSIONS = 64;   // docs/protocol.md §2.2
const sameWrite = (a, b) => a.timestamp === b.timestamp && a.device_id === b.device_id && a.value === b.value;
const writeOf = w => ({ timestamp: w.timestamp, device_id: w.device_id ?? "", value: w.value ?? null });
const byDevice = (a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0);

/** True when the version (timestamp, device_id) is among the replaced ones. */
export function covers(replaced, timestamp, deviceId) {
  return timestamp < replaced.floor || (replaced.named.find(n => n.device_id === deviceId)?.timestamp ?? 0) >= timestamp;
}

/**
 * `replaced` with `floor` and the versions `named` replaced too; the same object when that adds nothing
 * (merges tell "nothing changed" by identity). A name below the floor says no more than the floor: dropped.
 */
export function withReplaced(replaced, floor, named) {
  const newFloor = Math.max(replaced.floor, floor);
  let list = null;
  for (const id of named) {
    if (id.timestamp < newFloor) continue;
    const current = list ?? replaced.named;
    const i = current.findIndex(n => n.device_id === id.device_id);
    if (i >= 0 && current[i].timestamp >= id.timestamp) continue;
    list = i >= 0 ? current.map((n, j) => (j === i ? { timestamp: id.timestamp, device_id: id.device_id } : n))
      : [...current, { timestamp: id.timestamp, device_id: id.device_id }].sort(byDevice);
  }
  if (list === null && newFloor === replaced.floor) return replaced;
  list ??= replaced.named;
  if (newFloor > replaced.floor) list = list.filter(n => n.timestamp >= newFloor);
  return { floor: newFloor, named: list };
}

/**
 * Merges a write without base (the timestamp rule) into a state (undefined: the key was never written).
 * Returns {state, outcome}: outcome is "replaced", "joined", "duplicate" or "ignored" (as MergeOutcome), and
 * state is the same object when nothing changed.
 */
export function merge(state, write) {
  const w = writeOf(write);
  if (!state) return { state: { heads: [w], replaced: { floor: w.timestamp, named: [] } }, outcome: "replaced" };
  // Below the floor it lost already (for writes without base the floor is the top); at or above it, it
  // replaces everything lower, and a head above it that it did not see stays beside it (docs/protocol.md §2).
  if (w.timestamp < state.replaced.floor) return { state, outcome: "ignored" };
  return add(state, w, withReplaced(state.replaced, w.timestamp, []));
}

/**
 * Merges a write edited from the versions `base` names ([{timestamp, device_id}], each below the write's
 * timestamp; [] for a note made from nothing): it replaces exactly those, so an edit that did not see
 * another stays beside it, whatever their timestamps.
 */
export function mergeWithBase(state, write, base) {
  const w = writeOf(write);
  const replaced = withReplaced(state?.replaced ?? NOTHING_REPLACED, 0, base);
  if (!state) return { state: { heads: [w], replaced }, outcome: "replaced" };
  return add(state, w, replaced);
}

function add(state, w, replaced) {
  // A version already replaced stays so (a re-send after a later edit, or a write that lost).
  if (covers(replaced, w.timestamp, w.device_id)) return { state, outcome: "ignored" };
  const heads = state.heads.filter(h => !covers(replaced, h.timestamp, h.device_id));
  const duplicate = heads.some(h => sameWrite(h, w));
  if (duplicate && heads.length === state.heads.length && replaced === state.replaced) return { state, outcome: "duplicate" };
  if (!duplicate) {
    const at = heads.findIndex(h => compareHeads(h, w) <= 0);
    heads.splice(at < 0 ? heads.length : at, 0, w);
  }
  return { state: { heads, replaced }, outcome: heads.length === 1 ? "replaced" : "joined" };
}

/** The join of two states: what either holds, less what either replaced. Returns {state, changed}. */
export function join(state, other) {
  if (!state) return { state: other, changed: true };
  const r = other.replaced;
  const replaced = withReplaced(state.replaced, r.floor, r.named);
  const heads = state.heads.filter(h => !covers(replaced, h.timestamp, h.device_id));
  const kept = heads.length;
  for (const h of other.heads) if (!covers(replaced, h.timestamp, h.device_id) && !heads.some(x => sameWrite(x, h))) heads.push(h);
  if (kept === state.heads.length && heads.length === kept && replaced === state.replaced) return { state, changed: false };
  return { state: { heads: heads.sort((a, b) => compareHeads(b, a)), replaced }, changed: true };
}

/**
 * The state a change of a sync_ack stands for (EntryState.FromChange): its winner, `conflicts` and `also`
 * as heads; `replaced`, which when absent (or covering a head, which no server sends) is everything below
 * the lowest head.
 */
export function fromChange(change) {
  const heads = writesOf(change);
  const legacy = withReplaced(NOTHING_REPLACED, Math.min(...heads.map(h => h.timestamp)), []);
  if (change.replaced == null) return ofHeads(heads, legacy);
  const sent = withReplaced(NOTHING_REPLACED, change.replaced.floor, change.replaced.named ?? []);
  return ofHeads(heads, heads.some(h => covers(sent, h.timestamp, h.device_id)) ? legacy : sent);
}

function ofHeads(writes, replaced) {
  const heads = [];
  for (const w of writes) if (!heads.some(h => sameWrite(h, w))) heads.push(w);
  return { heads: heads.sort((a, b) => compareHeads(b, a)), replaced };
}

/** The heads a change of a sync_ack names: its winner, its siblings (`conflicts`) and `also`. */
export function writesOf(change) {
  const winner = writeOf(change);
  const writes = [winner];
  for (const s of change.conflicts ?? []) writes.push(writeOf(s));
  for (const a of change.also ?? []) writes.push({ timestamp: a.timestamp, device_id: a.device_id, value: winner.value });
  return writes;
}

/** The base of an edit made from `state`: every head (none for a note made from nothing). */
export const baseOf = state => (state?.heads ?? []).map(h => ({ timestamp: h.timestamp, device_id: h.device_id }));

/**
 * One base naming what `a` and `b` name: per device the highest timestamp, which replaces that version
 * and every earlier one of the device as the whole list would (ReplacedVersions.With).
 */
export function unionBase(a, b) {
  const highest = new Map();
  for (const v of [...a, ...b]) if ((highest.get(v.device_id) ?? 0) < v.timestamp) highest.set(v.device_id, v.timestamp);
  return [...highest].map(([device_id, timestamp]) => ({ timestamp, device_id }));
}

/** The winner's write. */
export const winner = state => state.heads[0];

/** The top timestamp of a state, 0 for none: a new write of this device must tick past it. */
export const topOf = state => state?.heads[0].timestamp ?? 0;

/** The heads whose value differs from the winner's (the conflict siblings), best first, whatever their timestamps. */
export const siblings = state => state.heads.filter(w => w.value !== state.heads[0].value);

/** True while the heads hold more than one distinct value. */
export const isConflict = state => state.heads.some(w => w.value !== state.heads[0].value);

// ---- resets (docs/protocol.md, "Epochs and resets") ----

/**
 * Records what the server showed of a key while a reset is read: `seen` maps key -> {timestamp, values, ids},
 * the highest top timestamp the server showed for the key, every value of its heads at that top, and the
 * heads' names ({timestamp, device_id}). `heads` are the heads of one state the server sent (a change, or a
 * write of a push it stored as sent). The top of a key never goes down, so a later state with a higher top
 * replaces and one with an equal top adds.
 */
export function noteServerWrites(seen, key, heads) {
  if (heads.length === 0) return;
  const timestamp = Math.max(...heads.map(h => h.timestamp));
  const values = heads.map(h => h.value ?? null);
  const ids = heads.map(h => ({ timestamp: h.timestamp, device_id: h.device_id ?? "" }));
  const s = seen.get(key);
  if (!s || timestamp > s.timestamp) seen.set(key, { timestamp, values: new Set(values), ids });
  else if (timestamp === s.timestamp) {
    for (const v of values) s.values.add(v);
    for (const id of ids) if (!s.ids.some(i => i.timestamp === id.timestamp && i.device_id === id.device_id)) s.ids.push(id);
  }
}

/**
 * The re-upload decision of a reset: for every key of the replica (`entries`, key -> state) that the
 * server did not show, showed at a lower top, or showed at the same top without one of the replica's
 * values, every value of the key's heads (but those the server holds at its top) as push changes
 * {key, value, timestamp, base} at its top timestamp, in timestamp order (so each push raises the restored
 * clock for the next, inside the clock bound). Heads of one value are one change: a re-upload carries the
 * uploading device's id, so they would be the same write.
 * `base` names the server's heads the replica counts replaced (and older than the write): the re-upload
 * replaces those there and nothing else, so a version written since the restore without seeing it stays
 * (docs/protocol.md §3.4); it is left out (the timestamp rule) when they are more than a base may name.
 */
export function lostWrites(entries, seen) {
  const lost = [];
  for (const [key, state] of entries) {
    const timestamp = topOf(state);
    const s = seen.get(key);
    const lacks = !s || s.timestamp < timestamp || (s.timestamp === timestamp && state.heads.some(w => !s.values.has(w.value ?? null)));
    if (!lacks) continue;
    const named = unionBase((s?.ids ?? []).filter(id => id.timestamp < timestamp && covers(state.replaced, id.timestamp, id.device_id)), []);
    const base = named.length <= MAX_BASE_VERSIONS ? named : undefined;
    for (const value of new Set(state.heads.map(w => w.value ?? null))) {
      // With a base, a value the server holds stays there: sent again under this device's id it would show twice.
      if (base && s?.values.has(value)) continue;
      lost.push(base ? { key, value, timestamp, base } : { key, value, timestamp });
    }
  }
  return lost.sort((a, b) => a.timestamp - b.timestamp || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
