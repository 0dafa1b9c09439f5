// The NoteSync reference JavaScript client: docs/protocol.md §4 (raw WebSocket /ws/sync) with the §6 fallback
// (POST /sync polling per SyncConfig). It owns the connection, not the data: the replica, clock,
// cursor and outbox live in a `replica` object the embedder supplies (store.js keeps them in
// IndexedDB), with this shape:
//   replica.cursor                      the highest ack_timestamp received (last_ack)
//   replica.epoch                       the epoch of the frame the cursor came from, or null (sent back on every push)
//   replica.pending(limit)              the writes to send: [{key, value, timestamp, base?}], oldest first; `base`
//                                       names the versions a write was edited from (docs/protocol.md §2.2)
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
// No dependency, no build step: import it as an ES module. docs/web.md shows how to use it. This module
// is the client's entry: it re-exports the settings (protocol-config.js) and the key rule
// (protocol-keys.js); protocol-frames.js builds and sizes its pushes. None of them touches the DOM, so
// the same modules are the npm package @notesync/client (clients/js) and the page's (served at /js/notesync/).
// config.WebSocket is the WebSocket class to use where there is no global one (Node.js 20); without
// either the client polls POST /sync.

import { backoffMs, defaultConfig } from "./protocol-config.js";
import { errorOf, getHistory, isBehind, postSync, pushChanges, pushFrame } from "./protocol-frames.js";

// WebSocket.OPEN: the same number in every implementation, so a given class need not carry the constant.
const OPEN = 1;

export { defaultConfig } from "./protocol-config.js";
export { isJoinerBetweenLetters, keyProblem, refusedCharacter, refusedKind } from "./protocol-keys.js";

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
  #WebSocket;
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
  #probeRetried = false;     // a probe answered since the WebSocket last failed to open, and the WebSocket was tried again
  #onOnline = () => this.#reconnectNow();
  #onOffline = () => this.#goOffline();

  constructor(config, replica, token = null) {
    this.#config = { ...defaultConfig, ...config };
    if (!this.#config.deviceId) throw new Error("SyncClient: config.deviceId is required");
    this.#WebSocket = this.#config.WebSocket ?? globalThis.WebSocket;
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

  // ---- History (docs/protocol.md §4.13), over HTTP: it answers on either transport, and needs no
  // matching of answers among the pushes' ----

  /** The versions of `key`, newest first ({timestamp, device_id, committed_at, bytes, deleted, head, base?}). */
  async history(key) { return (await this.#askHistory("history", { key })).versions; }

  /** One version of `key` and its text: {version, value}. Refused with code "not_found" when the history does not hold it. */
  version(key, timestamp, deviceId) { return this.#askHistory("version", { key, timestamp, version_device_id: deviceId }); }

  /**
   * The server's line merge of `key`'s two heads ({clean, value, base}: `value` has git-style markers where
   * the edits overlap). Refused with code "not_found" when they are not two texts with a common version.
   */
  merge(key) { return this.#askHistory("merge", { key }); }

  /** The deleted notes, newest deletion first ({key, deleted_at, deleted, last?}). */
  async trash() { return (await this.#askHistory("trash", {})).notes; }

  // Throws an Error whose `code` is the server's (or "offline" when there was no answer).
  async #askHistory(what, query) {
    let response;
    try {
      response = await getHistory(this.#config, this.#token, what, query);
    } catch (e) {
      throw Object.assign(new Error(`no answer from the server (${e.message})`), { code: "offline" });
    }
    if (response.ok) return response.json();
    const error = await errorOf(response);
    throw Object.assign(new Error(error.message), { code: error.code });
  }

  // ---- WebSocket (docs/protocol.md §4) ----

  #connect() {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    if (globalThis.navigator?.onLine === false) { this.#setStatus("offline", "none"); return; }   // "online" brings us back
    if (!this.#webSocketAllowed()) {
      this.#setStatus("connecting", "polling");
      this.#poll();
      return;
    }

    this.#setStatus("connecting", "none");
    const url = new URL("/ws/sync", this.#config.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("device_id", this.#config.deviceId);
    if (this.#token) url.searchParams.set("access_token", this.#token);
    const socket = new this.#WebSocket(url);
    let opened = false;
    this.#socket = socket;
    this.#inFlight = null;
    this.#live = false;
    // A server restarted with smaller limits would close the first push with 1009 if it were sized by the
    // last connection's: the first answer of each connection tells them again.
    this.#limitsAsked = false;
    socket.onopen = () => {
      opened = true;
      this.#probeRetried = false;
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
    if (!socket || socket.readyState !== OPEN || this.#inFlight) return;
    const changes = this.#nextChanges();
    if (changes.length === 0 && !force && this.#live) { this.#emit(); return; }
    const requestId = `${this.#config.deviceId}-${++this.#nextRequest}`;
    this.#inFlight = { requestId, changes, lastAck: this.#replica.cursor };
    socket.send(JSON.stringify(pushFrame(this.#replica, changes, requestId)));
    this.#arm(this.#config.requestTimeoutMs, () => this.#retry());
    this.#emit();
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
    return pushChanges(this.#replica, this.#limits, this.#split > 0);
  }

  // ---- HTTP polling (docs/protocol.md §6) ----

  async #poll() {
    if (this.#stopped || this.transport === "websocket") return;
    if (this.#webSocketAllowed()) { this.#connect(); return; }
    const changes = this.#nextChanges();
    const requestId = `${this.#config.deviceId}-${++this.#nextRequest}`;
    const lastAck = this.#replica.cursor;
    this.#inFlight = { requestId, changes, lastAck };
    this.transport = "polling";
    this.#emit();
    let response;
    try {
      response = await postSync(this.#config, this.#token, pushFrame(this.#replica, changes, requestId));
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

  // The WebSocket did not open. Why: the token (401/403), the network, or no WebSockets on the way?
  async #probe() {
    let response;
    try {
      response = await postSync(this.#config, this.#token, pushFrame(this.#replica, [], undefined));
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
      // The WebSocket may have failed only while the server restarted: one more try before polling.
      if (!this.#probeRetried) { this.#probeRetried = true; this.#schedule(0, () => this.#connect()); return; }
      // HTTP works and WebSockets do not (a proxy that drops upgrades, say): poll for a while.
      this.#probeRetried = false;
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
    if (code === "rate_limited") { this.#schedule(retryAfterMs ?? backoffMs(this.#config, this.#attempt++), again); return; }
    if (code === "quota_exceeded") {
      // The space is full: the writes stay, and go again after a backoff (or the next edit). Pulls go on
      // meanwhile, so changes from other devices, maybe the deletes that make room, still arrive.
      this.refusal = { code, message };
      this.#heldUntil = Date.now() + backoffMs(this.#config, this.#attempt++);
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
    this.#schedule(backoffMs(this.#config, this.#attempt++), again);
  }

  #retry() {
    this.#closeSocket();
    this.transport = "none";
    this.#setStatus("offline", "none");
    this.#schedule(backoffMs(this.#config, this.#attempt++), () => this.#connect());
  }

  // An answered push: the backoff starts over, unless it was a pull while the writes wait for room.
  #accepted(changes) {
    if (changes.length > 0 || this.#replica.pending(1).length === 0) this.refusal = null;
    if (!this.refusal) this.#attempt = 0;
  }

  #webSocketAllowed() {
    return this.#config.enableWebSocket && typeof this.#WebSocket === "function" && Date.now() >= this.#pollingUntil;
  }

  #heldMs() {
    return Math.max(0, this.#heldUntil - Date.now());
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
