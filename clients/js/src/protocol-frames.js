// The frames of the reference JavaScript client (protocol.js): a sync_push, sized under the server's
// limits, sent over POST /sync when it polls, and what an answer says beyond its changes.
// docs/protocol.md §4 and §6. No dependency: no DOM, no storage.

const PUSH_LIMIT = 500;           // writes per push; the server's default MaxChangesPerPush is 10,000
// Bytes of values per push, well under the server's default MaxMessageBytes (16 MiB): a frame over
// that is closed with 1009, and the same push after the reconnect would be closed again.
const PUSH_BYTES = 4 * 1024 * 1024;
// Room in a frame for a push's fields besides its changes, under the server's max_message_bytes.
const PUSH_ENVELOPE_BYTES = 1024;
const utf8 = new TextEncoder();

// Every push names the history its last_ack belongs to, so a server that lost that history answers
// with a reset even when its cursor has passed ours. A replica without an epoch leaves it out.
export function pushFrame(replica, changes, requestId) {
  return { type: "sync_push", changes, last_ack: replica.cursor, request_id: requestId, epoch: replica.epoch ?? undefined };
}

/**
 * The writes of the replica's next push: one while looking for a refused write (`one`), else up to
 * the count and byte budgets (at least one), and under the server's `limits` once it told them.
 */
export function pushChanges(replica, limits, one) {
  const limit = Math.min(PUSH_LIMIT, limits?.max_changes_per_push ?? PUSH_LIMIT);
  const budget = Math.min(PUSH_BYTES, (limits?.max_message_bytes ?? Infinity) - PUSH_ENVELOPE_BYTES);
  const changes = replica.pending(one ? 1 : limit);
  let bytes = 0;
  for (let i = 0; i < changes.length; i++) {
    // As the frame will carry it: JSON, UTF-8.
    bytes += utf8.encode(JSON.stringify(changes[i])).length + 1;
    if (bytes > budget && i > 0) return changes.slice(0, i);
  }
  return changes;
}

/** A push over HTTP (docs/protocol.md §6): its answer is the sync_ack, or an error body. */
export function postSync(config, token, push) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const url = new URL(`/sync?device_id=${encodeURIComponent(config.deviceId)}`, config.baseUrl);
  return fetch(url, { method: "POST", headers, body: JSON.stringify(push), cache: "no-store", signal: AbortSignal.timeout(config.requestTimeoutMs) });
}

/**
 * A history request over HTTP (docs/protocol.md §4.13): `what` is "history", "version" or "trash", `query` its
 * parameters besides the device. Its answer is the JSON object, or an error body.
 */
export function getHistory(config, token, what, query) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const url = new URL(`/sync/${what}`, config.baseUrl);
  url.searchParams.set("device_id", config.deviceId);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
  return fetch(url, { headers, cache: "no-store", signal: AbortSignal.timeout(config.requestTimeoutMs) });
}

// In one history an answer is never below the push's last_ack: it brings changes after it, and a page
// with `more` ends at the last of them (docs/protocol.md, "The cursor"). One that is, without `reset`,
// comes from a server that lost history and cannot say so (it has no epochs); the .NET client takes it
// as a reset too.
export function isBehind(ack, lastAck) {
  return !ack.reset && typeof ack.ack_timestamp === "number" && ack.ack_timestamp < lastAck;
}

/** The error frame of a refused POST /sync: its body, or one made from its status. */
export async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.code === "string") return body;
  } catch { /* not JSON */ }
  return { code: response.status === 401 ? "unauthorized" : "internal", message: `HTTP ${response.status}` };
}
