// The reference JavaScript client's settings (protocol.js): SyncConfig and the reconnect backoff.
// No dependency: no DOM, no storage.

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

/** The wait before try number `attempt` (from 0), between the config's backoff bounds. */
export function backoffMs({ minBackoffMs, maxBackoffMs }, attempt) {
  // Exponential, capped, with jitter so a server restart is not met by every device at once.
  const ceiling = Math.min(maxBackoffMs, minBackoffMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * ceiling / 2;
}
