// The NoteSync reference JavaScript client: docs/protocol.md §4 (raw WebSocket /ws/sync) with the §6 fallback
// (POST /sync polling per SyncConfig). It owns the connection, not the data: the replica, clock,
// cursor and outbox live in a `replica` object the embedder supplies (store.js keeps them in
// IndexedDB), with this shape:
//   replica.cursor                      the highest ack_timestamp received (last_ack)
//   replica.epoch                       the epoch of the frame the cursor came from, or null (sent back on every push)
//   replica.pending(limit)              the writes to send: [{key, value, timestamp}], oldest first
//   replica.applyAck(ack, sentChanges, behind)
//                                       merge a sync_ack, move clock and cursor, drop acknowledged writes;
//                                       on `reset`, replace cursor and epoch and, after the reset's last
//                                       page, queue what the server lost (docs/protocol.md, "Epochs and resets");
//                                       `behind`: an answer below the push's last_ack with no `reset` (a server
//                                       that lost history and has no epochs): read the space again from 0
//   replica.reject(sentChanges, reason) the server will never take these as they are (bad_request, too_large,
//                                       or a push closed with 1009 for its size)
// A push refused for want of room (quota_exceeded) drops nothing: the writes wait, shown in `refusal`.
// keyProblem(key) tells a key the server would refuse (docs/protocol.md §1) before it is written.
// No dependency, no build step: import it as an ES module. docs/web.md shows how to use it.

const PUSH_LIMIT = 500;           // writes per push; the server's default MaxChangesPerPush is 10,000
// Bytes of values per push, well under the server's default MaxMessageBytes (16 MiB): a frame over
// that is closed with 1009, and the same push after the reconnect would be closed again.
const PUSH_BYTES = 4 * 1024 * 1024;
// Room in a frame for a push's fields besides its changes, under the server's max_message_bytes.
const PUSH_ENVELOPE_BYTES = 1024;
const utf8 = new TextEncoder();

/** SyncConfig (Shared/SyncConfig.cs) plus the backoff bounds. */
export const defaultConfig = Object.freeze({
  baseUrl: globalThis.location?.origin ?? "http://localhost:5000",
  deviceId: "",
  enableWebSocket: true,
  syncIntervalMs: 1000,
  minBackoffMs: 250,
  maxBackoffMs: 10_000,
  // After this long on polling because WebSockets failed, try a WebSocket again.
  webSocketRetryMs: 60_000,
  // A push unanswered this long means a dead connection (a laptop woke up, a NAT forgot it): reconnect.
  requestTimeoutMs: 20_000,
  // An idle WebSocket sends a pure pull this often, so a connection that died silently is noticed.
  heartbeatMs: 30_000,
});

/**
 * One device's sync with one server. `status` is one of "connecting", "connected" (live WebSocket),
 * "syncing" (a push is waiting for its answer), "polling" (HTTP fallback, idle), "offline",
 * "unauthorized" (a token is needed: call setToken), "forbidden"; listen with onstatus.
 */
export class SyncClient {
  status = "offline";
  transport = "none";       // "websocket" | "polling" | "none"
  lastError = null;         // the last error frame or failure, for display
  refusal = null;           // the quota_exceeded frame while the writes wait for room in the space, else null
  /** Called with (status, client) on every change of status or pending work. */
  onstatus = () => {};
  /** Called with the keys a received sync_ack changed (after the replica applied it). */
  onchanges = () => {};
  /** Called with an error frame ({code, message, request_id, retry_after_ms}). */
  onerror = () => {};

  #config;
  #replica;
  #token;
  #socket = null;
  #inFlight = null;          // {requestId, changes, lastAck} of the push awaiting its answer (one at a time)
  #live = false;             // the first push on this socket was answered: live pushes flow
  #frames = Promise.resolve();
  #attempt = 0;
  #timer = 0;
  #watchdog = 0;             // the in-flight push's deadline, or the next heartbeat
  #nextRequest = 0;
  #split = 0;                // after a refused push of several writes, send this many one by one to find the bad one
  #heldUntil = 0;            // after quota_exceeded: only pulls until this time (ms since epoch), then the writes again
  #limits = null;            // the server's limits on pushes, once an answer told them (docs/protocol.md, "The server's limits")
  #limitsAsked = false;      // an answer on this connection told the limits (or that there are none): writes may go
  #stopped = true;
  #pollingUntil = 0;         // polling because WebSockets failed: until this time (ms since epoch)
  #onOnline = () => this.#reconnectNow();
  #onOffline = () => this.#goOffline();

  constructor(config, replica, token = null) {
    this.#config = { ...defaultConfig, ...config };
    if (!this.#config.deviceId) throw new Error("SyncClient: config.deviceId is required");
    this.#replica = replica;
    this.#token = token;
  }

  /** Starts syncing (and reconnecting) until stop(). */
  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    globalThis.addEventListener?.("online", this.#onOnline);
    globalThis.addEventListener?.("offline", this.#onOffline);
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    globalThis.removeEventListener?.("online", this.#onOnline);
    globalThis.removeEventListener?.("offline", this.#onOffline);
    clearTimeout(this.#timer);
    this.#closeSocket();
    this.#setStatus("offline", "none");
  }

  /** A new token (after "unauthorized"); reconnects with it. */
  setToken(token) {
    this.#token = token;
    this.#reconnectNow();
  }

  /** There are new writes in the replica: send them now if the connection allows. */
  kick() {
    // A new edit may be the delete that makes room: try the waiting writes with it at once.
    this.#heldUntil = 0;
    if (this.transport === "websocket") this.#sendNext(false);
    else if (this.transport === "polling" && !this.#inFlight) this.#schedule(0, () => this.#poll());
    this.#emit();
  }

  // ---- WebSocket (docs/protocol.md §4) ----

  #connect() {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    if (globalThis.navigator?.onLine === false) { this.#setStatus("offline", "none"); return; }   // "online" brings us back
    if (!this.#config.enableWebSocket || typeof WebSocket === "undefined" || Date.now() < this.#pollingUntil) {
      this.#setStatus("connecting", "polling");
      this.#poll();
      return;
    }

    this.#setStatus("connecting", "none");
    const url = new URL("/ws/sync", this.#config.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("device_id", this.#config.deviceId);
    if (this.#token) url.searchParams.set("access_token", this.#token);
    const socket = new WebSocket(url);
    let opened = false;
    this.#socket = socket;
    this.#inFlight = null;
    this.#live = false;
    // A server restarted with smaller limits would close the first push with 1009 if it were sized by the
    // last connection's: the first answer of each connection tells them again.
    this.#limitsAsked = false;
    socket.onopen = () => {
      opened = true;
      this.transport = "websocket";
      // The first push is a pull: its answer tells the limits and starts live pushes; the outbox goes next.
      this.#sendNext(true);
    };
    socket.onmessage = event => {
      // A frame proves the connection alive: the deadline counts from the last one, not from storing it.
      if (this.#inFlight) this.#arm(this.#config.requestTimeoutMs, () => this.#retry());
      // Frames are applied strictly in order: each waits for the previous one's IndexedDB transaction.
      this.#frames = this.#frames.then(() => this.#onFrame(socket, event.data)).catch(e => this.#fail(e));
    };
    socket.onclose = event => {
      if (this.#socket !== socket) return;
      clearTimeout(this.#watchdog);
      const inFlight = this.#inFlight;
      this.#socket = null;
      this.#inFlight = null;
      this.transport = "none";
      if (this.#stopped) return;
      if (event.code === 1009 && inFlight?.changes.length > 0) {
        // The push was larger than the server takes in one message: sent again as it is, it would be
        // closed again, forever. Refused like too_large: split to find the write, which is kept, marked.
        this.#setStatus("connecting", "none");
        const reason = event.reason || "the message was larger than the server takes";
        this.#frames = this.#frames
          .then(() => this.#refused("too_large", reason, inFlight.changes, undefined, () => this.#connect()))
          .catch(e => this.#fail(e));
        return;
      }
      if (event.code === 1008) { this.#setStatus("unauthorized", "none", { code: "unauthorized", message: event.reason || "the token expired" }); return; }
      if (opened) { this.#retry(); return; }
      // A browser does not show why an upgrade failed: ask the same question over HTTP.
      this.#probe();
    };
  }

  async #onFrame(socket, text) {
    if (socket !== this.#socket) return;
    let frame;
    try { frame = JSON.parse(text); } catch { this.#fail(new Error("a frame that is not JSON")); return; }
    if (frame.type === "sync_ack") {
      const answered = this.#inFlight && frame.request_id === this.#inFlight.requestId ? this.#inFlight : null;
      if (answered) this.#learnLimits(frame);
      const behind = answered !== null && isBehind(frame, answered.lastAck);
      const keys = await this.#replica.applyAck(frame, answered?.changes ?? [], behind);
      this.onchanges(keys);
      if (socket !== this.#socket) return;   // closed while the ack was being stored
      if (answered) {
        this.#inFlight = null;
        this.#live = true;
        this.#accepted(answered.changes);
        if (this.#split > 0 && answered.changes.length > 0) this.#split -= 1;
      }
      // Over a WebSocket the server sends the pages after `more` by itself (docs/protocol.md, Paging).
      // After an answer that fell behind, the read from 0 starts with a pull.
      this.#sendNext(behind);
      // Held writes go again when the hold ends; otherwise a heartbeat.
      if (!this.#inFlight) this.#arm(this.#heldMs() || this.#config.heartbeatMs, () => this.#sendNext(true));
    } else if (frame.type === "error") {
      this.lastError = frame;
      this.onerror(frame);
      const refused = this.#inFlight && frame.request_id === this.#inFlight.requestId ? this.#inFlight : null;
      if (refused) {
        this.#inFlight = null;
        clearTimeout(this.#watchdog);
        await this.#refused(frame.code, frame.message, refused.changes, frame.retry_after_ms, () => this.#sendNext(true));
        if (socket !== this.#socket) return;
      }
    }
    this.#emit();
  }

  #sendNext(force) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.#inFlight) return;
    const changes = this.#nextChanges();
    if (changes.length === 0 && !force && this.#live) { this.#emit(); return; }
    const requestId = `${this.#config.deviceId}-${++this.#nextRequest}`;
    this.#inFlight = { requestId, changes, lastAck: this.#replica.cursor };
    socket.send(JSON.stringify(this.#push(changes, requestId)));
    this.#arm(this.#config.requestTimeoutMs, () => this.#retry());
    this.#emit();
  }

  // Every push names the history its last_ack belongs to, so a server that lost that history answers
  // with a reset even when its cursor has passed ours. A replica without an epoch leaves it out.
  #push(changes, requestId) {
    return { type: "sync_push", changes, last_ack: this.#replica.cursor, request_id: requestId, epoch: this.#replica.epoch ?? undefined };
  }

  // An answer to our push: the limits it tells (docs/protocol.md, "The server's limits"); a server that
  // tells none leaves the client's own bounds.
  #learnLimits(ack) {
    this.#limits = ack.limits ?? this.#limits;
    this.#limitsAsked = true;
  }

  // The writes of the next push: none until an answer told the limits, none while held for room, one while looking for a refused write, else
  // up to the count and byte budgets (at least one), and under the server's limits once it told them.
  #nextChanges() {
    if (this.#heldMs() > 0 || !this.#limitsAsked) return [];
    const limit = Math.min(PUSH_LIMIT, this.#limits?.max_changes_per_push ?? PUSH_LIMIT);
    const budget = Math.min(PUSH_BYTES, (this.#limits?.max_message_bytes ?? Infinity) - PUSH_ENVELOPE_BYTES);
    const changes = this.#replica.pending(this.#split > 0 ? 1 : limit);
    let bytes = 0;
    for (let i = 0; i < changes.length; i++) {
      // As the frame will carry it: JSON, UTF-8.
      bytes += utf8.encode(JSON.stringify(changes[i])).length + 1;
      if (bytes > budget && i > 0) return changes.slice(0, i);
    }
    return changes;
  }

  // ---- HTTP polling (docs/protocol.md §6) ----

  async #poll() {
    if (this.#stopped || this.transport === "websocket") return;
    if (this.#config.enableWebSocket && typeof WebSocket !== "undefined" && Date.now() >= this.#pollingUntil) { this.#connect(); return; }
    const changes = this.#nextChanges();
    const requestId = `${this.#config.deviceId}-${++this.#nextRequest}`;
    const lastAck = this.#replica.cursor;
    this.#inFlight = { requestId, changes, lastAck };
    this.transport = "polling";
    this.#emit();
    let response;
    try {
      response = await this.#post(this.#push(changes, requestId));
    } catch {
      this.#inFlight = null;
      this.#retry();
      return;
    }
    this.#inFlight = null;
    if (response.ok) {
      const ack = await response.json();
      this.#learnLimits(ack);
      const behind = isBehind(ack, lastAck);
      this.onchanges(await this.#replica.applyAck(ack, changes, behind));
      this.#accepted(changes);
      if (this.#split > 0 && changes.length > 0) this.#split -= 1;
      this.#setStatus("polling", "polling");
      // Over HTTP nothing comes unasked: follow `more` and send what is left at once (held writes at the next poll).
      const again = behind || ack.more || (this.#heldMs() === 0 && this.#replica.pending(1).length > 0);
      this.#schedule(again ? 0 : this.#config.syncIntervalMs, () => this.#poll());
      return;
    }
    if (response.status === 401) { this.#setStatus("unauthorized", "none", await errorOf(response)); return; }
    const error = await errorOf(response);
    this.lastError = error;
    this.onerror(error);
    const retryMs = error.retry_after_ms ?? (Number(response.headers.get("retry-after")) * 1000 || undefined);
    await this.#refused(error.code, error.message, changes, retryMs, () => this.#poll());
  }

  #post(push) {
    const headers = { "content-type": "application/json" };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const url = new URL(`/sync?device_id=${encodeURIComponent(this.#config.deviceId)}`, this.#config.baseUrl);
    return fetch(url, { method: "POST", headers, body: JSON.stringify(push), cache: "no-store", signal: AbortSignal.timeout(this.#config.requestTimeoutMs) });
  }

  // The WebSocket did not open. Why: the token (401/403), the network, or no WebSockets on the way?
  async #probe() {
    let response;
    try {
      response = await this.#post(this.#push([], undefined));
    } catch {
      this.#retry();
      return;
    }
    if (response.status === 401) { this.#setStatus("unauthorized", "none", await errorOf(response)); return; }
    if (response.status === 403) { this.#setStatus("forbidden", "none", await errorOf(response)); return; }
    if (response.ok) {
      const ack = await response.json();
      this.#learnLimits(ack);
      this.onchanges(await this.#replica.applyAck(ack, []));
      // HTTP works and WebSockets do not (a proxy that drops upgrades, say): poll for a while.
      this.#pollingUntil = Date.now() + this.#config.webSocketRetryMs;
      this.#setStatus("polling", "polling");
      this.#schedule(0, () => this.#poll());
      return;
    }
    this.#retry();
  }

  // ---- errors, backoff ----

  // What a refused push means for its writes (docs/protocol.md, "Writing a client", 5).
  async #refused(code, message, changes, retryAfterMs, again) {
    if (code === "rate_limited") { this.#schedule(retryAfterMs ?? this.#backoff(), again); return; }
    if (code === "quota_exceeded") {
      // The space is full: the writes stay, and go again after a backoff (or the next edit). Pulls go on
      // meanwhile, so changes from other devices, maybe the deletes that make room, still arrive.
      this.refusal = { code, message };
      this.#heldUntil = Date.now() + this.#backoff();
      this.#schedule(0, again);
      return;
    }
    if (code === "bad_request" || code === "too_large") {
      // A push is atomic: one bad write refuses all. Alone, a write is refused for itself: keep it, marked.
      // (The writes of one key go together: after a reset a key may have several values to put back.)
      if (new Set(changes.map(c => c.key)).size > 1) this.#split = changes.length;
      else {
        await this.#replica.reject(changes, `${code}: ${message}`);
        if (this.#split > 0) this.#split -= 1;
      }
      this.#schedule(0, again);
      return;
    }
    if (code === "unauthorized") { this.#setStatus("unauthorized", "none", { code, message }); this.#closeSocket(); return; }
    if (code === "forbidden") { this.#setStatus("forbidden", "none", { code, message }); this.#closeSocket(); return; }
    // unavailable, internal, anything else: the writes stay and go again later.
    this.#schedule(this.#backoff(), again);
  }

  #retry() {
    this.#closeSocket();
    this.transport = "none";
    this.#setStatus("offline", "none");
    this.#schedule(this.#backoff(), () => this.#connect());
  }

  // An answered push: the backoff starts over, unless it was a pull while the writes wait for room.
  #accepted(changes) {
    if (changes.length > 0 || this.#replica.pending(1).length === 0) this.refusal = null;
    if (!this.refusal) this.#attempt = 0;
  }

  #heldMs() {
    return Math.max(0, this.#heldUntil - Date.now());
  }

  // Exponential, capped, with jitter so a server restart is not met by every device at once.
  #backoff() {
    const { minBackoffMs, maxBackoffMs } = this.#config;
    const ceiling = Math.min(maxBackoffMs, minBackoffMs * 2 ** this.#attempt++);
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  #arm(ms, fn) {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => { if (!this.#stopped) fn(); }, ms);
  }

  #schedule(ms, fn) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { if (!this.#stopped) fn(); }, ms);
  }

  #reconnectNow() {
    if (this.#stopped) return;
    this.#attempt = 0;
    this.#pollingUntil = 0;
    this.#closeSocket();
    this.#connect();
  }

  #goOffline() {
    // Browsers may keep a dead socket open for minutes after the network goes; the page knows sooner.
    this.#closeSocket();
    clearTimeout(this.#timer);
    this.#setStatus("offline", "none");
  }

  #closeSocket() {
    clearTimeout(this.#watchdog);
    const socket = this.#socket;
    this.#socket = null;
    this.#inFlight = null;
    this.#live = false;
    if (socket) { socket.onclose = null; socket.onmessage = null; socket.close(); }
    if (this.transport === "websocket") this.transport = "none";
  }

  #fail(error) {
    this.lastError = { code: "internal", message: String(error?.message ?? error) };
    this.onerror(this.lastError);
    this.#retry();
  }

  #setStatus(status, transport, error) {
    this.status = status;
    this.transport = transport;
    if (error) this.lastError = error;
    this.#emit();
  }

  #emit() {
    if (this.transport === "websocket") this.status = this.#inFlight || !this.#live ? "syncing" : "connected";
    else if (this.transport === "polling" && this.status !== "connecting") this.status = this.#inFlight ? "syncing" : "polling";
    this.onstatus(this.status, this);
  }
}

// ---- the key rule (docs/protocol.md §1.3), as the server checks it ----

// The code points a key must not hold: the list of Shared/Protocol/KeyCharacters.cs, sorted, as
// [first, last, what]. Fixed code points rather than Unicode categories, so the page, the .NET client
// and the server draw the same line whatever Unicode version each runs on.
const CONTROL = "a control character", BIDI = "a bidirectional control", INVISIBLE = "an invisible character";
const REFUSED = [
  [0x0000, 0x001f, CONTROL], [0x007f, 0x009f, CONTROL], [0x00ad, 0x00ad, INVISIBLE], [0x034f, 0x034f, INVISIBLE],
  [0x061c, 0x061c, BIDI], [0x115f, 0x1160, INVISIBLE], [0x17b4, 0x17b5, INVISIBLE], [0x180e, 0x180e, INVISIBLE],
  [0x200b, 0x200d, INVISIBLE], [0x200e, 0x200f, BIDI], [0x2028, 0x2029, "a line or paragraph separator"],
  [0x202a, 0x202e, BIDI], [0x2060, 0x2065, INVISIBLE], [0x2066, 0x2069, BIDI], [0x206a, 0x206f, INVISIBLE],
  [0x3164, 0x3164, INVISIBLE], [0xfdd0, 0xfdef, "a noncharacter"], [0xfeff, 0xfeff, INVISIBLE],
  [0xffa0, 0xffa0, INVISIBLE], [0xfff0, 0xfff8, INVISIBLE], [0x1bca0, 0x1bca3, INVISIBLE],
  [0x1d173, 0x1d17a, INVISIBLE], [0xe0000, 0xe00ff, INVISIBLE], [0xe01f0, 0xe0fff, INVISIBLE],
];

/** What `codePoint` is when a key must not hold it ("a control character", ...), or null. */
export function refusedKind(codePoint) {
  if ((codePoint & 0xfffe) === 0xfffe) return "a noncharacter";   // U+FFFE and U+FFFF of every plane
  for (const [first, last, what] of REFUSED) {
    if (codePoint < first) return null;
    if (codePoint <= last) return what;
  }
  return null;
}

/** The first character of `text` a key must not hold, named as the server names it ("U+001B (a control character)"), or null. */
export function refusedCharacter(text) {
  const codePoints = Array.from(text, (ch) => ch.codePointAt(0));
  for (let i = 0; i < codePoints.length; i++) {
    const codePoint = codePoints[i];
    const what = refusedKind(codePoint);
    if (what && !isJoinerBetweenLetters(codePoint, codePoints[i - 1] ?? 0, codePoints[i + 1] ?? 0)) {
      return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")} (${what})`;
    }
  }
  return null;
}

/**
 * A zero-width joiner or non-joiner between two characters outside ASCII, neither a joiner: there it
 * shapes what it joins (woman, U+200D, laptop; Persian and Indic spellings), so it is allowed.
 */
export function isJoinerBetweenLetters(codePoint, previous, next) {
  const joiner = (c) => c === 0x200c || c === 0x200d;
  return joiner(codePoint) && previous >= 0x80 && !joiner(previous) && next >= 0x80 && !joiner(next);
}

/**
 * Why the server would refuse `key`, in its words after "changes[i].key" ("must not contain U+001B
 * (a control character)", "must be in Unicode normalization form C"), or null when it takes it.
 * Normalize a name with `name.normalize("NFC")` before making it a key.
 */
export function keyProblem(key, maxKeyBytes = 1024) {
  if (typeof key !== "string") return "must be a string";
  if (!key.startsWith("note:") || key.length === "note:".length) return "must be 'note:<path>' with a non-empty path";
  if (/\p{Surrogate}/u.test(key)) return "must be valid Unicode text";   // with the u flag only unpaired ones match
  if (utf8.encode(key).length > maxKeyBytes) return `must be at most ${maxKeyBytes} UTF-8 bytes`;
  const refused = refusedCharacter(key);
  if (refused) return `must not contain ${refused}`;
  if (key.normalize("NFC") !== key) return "must be in Unicode normalization form C";
  return null;
}

// In one history an answer is never below the push's last_ack: it brings changes after it, and a page
// with `more` ends at the last of them (docs/protocol.md, "The cursor"). One that is, without `reset`,
// comes from a server that lost history and cannot say so (it has no epochs); the .NET client takes it
// as a reset too.
function isBehind(ack, lastAck) {
  return !ack.reset && typeof ack.ack_timestamp === "number" && ack.ack_timestamp < lastAck;
}

async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.code === "string") return body;
  } catch { /* not JSON */ }
  return { code: response.status === 401 ? "unauthorized" : "internal", message: `HTTP ${response.status}` };
}
