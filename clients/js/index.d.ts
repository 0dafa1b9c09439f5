// Types of @notesync/client (src/index.js). The frames are those of docs/protocol.md, version 1.

// ---- the protocol's frames (docs/protocol.md §4) ----

/** A version's id, as a `base` names it. */
export interface VersionId {
  timestamp: number;
  device_id: string;
}

/** One write of a `sync_push` (§4.2). `value` null is a delete. */
export interface PushChange {
  key: string;
  value: string | null;
  timestamp: number;
  device_id?: string;
  /** The versions the write was edited from (§2.2); absent: the timestamp rule. */
  base?: VersionId[];
}

/** client -> server (§4.2). `changes: []` is a pure pull. */
export interface SyncPush {
  type: "sync_push";
  changes: PushChange[];
  last_ack?: number;
  request_id?: string;
  epoch?: string;
}

/** A key's state in a `sync_ack` (§4.3, §4.6): the winner in the change's own fields. */
export interface AckChange {
  key: string;
  value: string | null;
  timestamp: number;
  device_id: string;
  conflict?: true;
  conflicts?: Array<{ value: string | null; timestamp: number; device_id: string }>;
  also?: VersionId[];
  replaced?: Replaced;
}

/** The server's limits on pushes (§4.4). */
export interface Limits {
  max_message_bytes: number;
  max_changes_per_push: number;
  max_key_bytes: number;
  max_value_bytes: number;
  max_note_bytes: number;
}

/** server -> client: the answer to a push, or a live push without `request_id` (§4.3, §4.5). */
export interface SyncAck {
  type: "sync_ack";
  ack_timestamp: number;
  changes: AckChange[];
  request_id?: string;
  more?: true;
  epoch?: string;
  reset?: true;
  limits?: Limits;
}

export type ErrorCode =
  | "bad_request" | "too_large" | "quota_exceeded" | "rate_limited" | "unauthorized" | "forbidden"
  | "unavailable" | "not_found" | "internal" | (string & {});

/** server -> client: a refused push or request (§4.10); also what the client reports of its own failures. */
export interface ErrorFrame {
  type?: "error";
  code: ErrorCode;
  message: string;
  request_id?: string;
  retry_after_ms?: number;
}

// ---- the merge rule (docs/protocol.md §2; src/crdt.js) ----

/** A write: value null is a delete. */
export interface Write {
  timestamp: number;
  device_id: string;
  value: string | null;
}

/** The versions a key's heads replaced: every one below `floor`, and per device each at or below its `named` timestamp. */
export interface Replaced {
  floor: number;
  named: VersionId[];
}

/** A key's state: the versions nothing replaced, best first (the winner first), and what they replaced. */
export interface NoteState {
  heads: Write[];
  replaced: Replaced;
}

export type MergeOutcome = "replaced" | "joined" | "duplicate" | "ignored";

/** Merges a write without base (the timestamp rule) into a state (undefined: a key never written). */
export function merge(state: NoteState | undefined, write: Write): { state: NoteState; outcome: MergeOutcome };
/** Merges a write edited from the versions `base` names (§2.2). */
export function mergeWithBase(state: NoteState | undefined, write: Write, base: VersionId[]): { state: NoteState; outcome: MergeOutcome };
/** Joins two states of one key. */
export function join(state: NoteState | undefined, other: NoteState): { state: NoteState; changed: boolean };
/** The head that wins: the text to show. */
export function winner(state: NoteState): Write;
/** The heads holding another value than the winner's. */
export function siblings(state: NoteState): Write[];
/** True when the heads hold more than one value (a conflict). */
export function isConflict(state: NoteState): boolean;

// ---- keys (docs/protocol.md §1.3, §1.4) ----

/** Why the server would refuse `key` ("must be in Unicode normalization form C", ...), or null when it takes it. */
export function keyProblem(key: string, maxKeyBytes?: number): string | null;
/** The first character of `text` a key must not hold, described ("U+001B (a control character)"), or null. */
export function refusedCharacter(text: string): string | null;
/** What kind of character a key must not hold `codePoint` is, or null when it may. */
export function refusedKind(codePoint: number): string | null;
export function isJoinerBetweenLetters(codePoint: number, previous: number, next: number): boolean;

// ---- the client ----

/** A WebSocket class: the global one of browsers and Node.js 22+, or another with its interface. */
export interface WebSocketConstructor {
  new (url: string | URL): WebSocketLike;
}

/**
 * What the client uses of a WebSocket: it reads `data` (a string) of a message event, and `code` and
 * `reason` of a close event. The events are typed loosely so that any implementation's class fits.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  send(data: string): void;
  close(): void;
}

/** SyncConfig (docs/client.md) as the JavaScript client takes it; every field but deviceId has a default. */
export interface SyncConfig {
  /** The server, e.g. "https://notes.example.com" (default: the page's origin in a browser). */
  baseUrl: string;
  /** This device's id (docs/protocol.md §1.2), stable across runs. */
  deviceId: string;
  /** false: poll POST /sync only. Default true. */
  enableWebSocket: boolean;
  /** The WebSocket class where there is no global one (Node.js 20). Without either the client polls POST /sync. */
  WebSocket?: WebSocketConstructor;
  syncIntervalMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** After this long on polling because WebSockets failed, try a WebSocket again. */
  webSocketRetryMs: number;
  /** A push unanswered this long means a dead connection: reconnect. */
  requestTimeoutMs: number;
  /** An idle WebSocket sends a pull this often. */
  heartbeatMs: number;
}

export const defaultConfig: Readonly<SyncConfig>;

export type SyncStatus = "connecting" | "connected" | "syncing" | "polling" | "offline" | "unauthorized" | "forbidden";
export type Transport = "websocket" | "polling" | "none";

/** A write waiting in the outbox to be acknowledged. */
export interface OutboxItem {
  key: string;
  value: string | null;
  timestamp: number;
  base?: VersionId[];
  /** More values at the same timestamp (after a reset). */
  also?: Array<string | null>;
  /** Why the server refused it, when it did: it is no longer sent. */
  rejected?: string;
}

/** What SyncClient drives: the data, which it does not own (src/protocol.js, the comment at its top). */
export interface Replica {
  /** The highest ack_timestamp received (last_ack). */
  readonly cursor: number;
  /** The epoch of the frame the cursor came from, or null. */
  readonly epoch: string | null;
  /** The writes to send, oldest first, at most `limit`. */
  pending(limit: number): PushChange[];
  /** Merges an answer or live push; returns the keys whose state changed. */
  applyAck(ack: SyncAck, sent: PushChange[], behind: boolean): string[] | Promise<string[]>;
  /** The server will never take these writes as they are. */
  reject(sent: PushChange[], reason: string): void | Promise<void>;
}

/** A version in a note's history (§4.13). */
export interface HistoryVersion {
  timestamp: number;
  device_id: string;
  committed_at: number;
  bytes: number;
  deleted: boolean;
  head: boolean;
  base?: VersionId[];
}

export interface TrashNote {
  key: string;
  deleted_at: number;
  deleted: VersionId;
  last?: Write;
}

/** An Error from a history request: `code` is the server's, or "offline" when there was no answer. */
export interface RequestError extends Error {
  code: ErrorCode | "offline";
}

/** One device's sync with one server over a replica it is given (the page gives its IndexedDB store). */
export class SyncClient {
  constructor(config: Partial<SyncConfig> & { deviceId: string }, replica: Replica, token?: string | null);
  readonly status: SyncStatus;
  readonly transport: Transport;
  readonly lastError: ErrorFrame | null;
  /** The quota_exceeded refusal while writes wait for room, else null. */
  readonly refusal: { code: string; message: string } | null;
  onstatus: (status: SyncStatus, client: SyncClient) => void;
  onchanges: (keys: string[]) => void;
  onerror: (error: ErrorFrame) => void;
  start(): void;
  stop(): void;
  setToken(token: string | null): void;
  /** The replica has new writes: send them now. */
  kick(): void;
  history(key: string): Promise<HistoryVersion[]>;
  version(key: string, timestamp: number, deviceId: string): Promise<{ version: HistoryVersion; value: string | null }>;
  merge(key: string): Promise<{ clean: boolean; value: string; base: VersionId[] }>;
  trash(): Promise<TrashNote[]>;
}

/** A replica held in memory: lost when the process ends (the next start reads the space again). */
export class MemoryReplica implements Replica {
  constructor(deviceId: string);
  readonly deviceId: string;
  readonly entries: Map<string, NoteState>;
  readonly outbox: Map<string, OutboxItem>;
  /** Versions of this device's that a write from elsewhere replaced before the server took them. */
  readonly kept: Map<string, Array<{ value: string; timestamp: number; device_id: string; reason: "lost" | "overwritten" }>>;
  readonly clock: number;
  readonly cursor: number;
  readonly epoch: string | null;
  /** Writes `value` (null: delete) to `key` as an edit of every head held. Does not send it: SyncClient.kick does. */
  write(key: string, value: string | null): Write;
  /** The text `key` holds, or undefined when there is none. */
  get(key: string): string | undefined;
  pending(limit?: number): PushChange[];
  applyAck(ack: SyncAck, sent?: PushChange[], behind?: boolean): string[];
  reject(sent: PushChange[], reason: string): void;
}

export interface NoteSyncClientOptions extends Partial<Omit<SyncConfig, "baseUrl" | "deviceId">> {
  /** The server, e.g. "http://127.0.0.1:5000". */
  baseUrl: string;
  /** This device's id (docs/protocol.md §1.2): 1 to 256 characters, stable across runs. */
  deviceId: string;
  /** A bearer token, when the server has auth on (docs/protocol.md §9). */
  token?: string | null;
}

/** Notes of one space, kept in memory and in sync with the server. */
export class NoteSyncClient {
  constructor(options: NoteSyncClientOptions);
  readonly replica: MemoryReplica;
  readonly sync: SyncClient;
  readonly status: SyncStatus;
  /** Called with the keys a frame from the server changed. */
  onchanges: (keys: string[]) => void;
  onstatus: (status: SyncStatus, client: NoteSyncClient) => void;
  onerror: (error: ErrorFrame) => void;
  /** Connects, and reconnects until stop(). */
  start(): void;
  stop(): void;
  setToken(token: string | null): void;
  /** Writes `text` to `key` ("note:<path>") and sends it. Throws (code "bad_request") on a key the server would refuse. */
  put(key: string, text: string): Write;
  delete(key: string): Write;
  /** The text of `key`, or undefined when there is none (never written, or deleted). */
  get(key: string): string | undefined;
  /** The keys that hold text, sorted. */
  keys(): string[];
  /** The key's other texts when devices wrote it concurrently (get() gives the winner), else []. */
  conflicts(key: string): Array<string | null>;
  /** Resolves once every write so far is acknowledged; rejects after `timeoutMs` (default 30 s) or on stop(). */
  flushed(timeoutMs?: number): Promise<void>;
}
