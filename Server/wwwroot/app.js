// The NoteSync page's entry: it waits to be this browser's writer (tab-election.js), opens the store,
// starts the sync client and wires the page's parts. The parts: account.js, note-list.js, editor.js,
// conflict-view.js, history-panel.js, markdown-preview.js, merged-mark.js, trash-view.js, undo-delete.js, new-note-dialog.js, rename-dialog.js,
// sign-in-dialog.js, status-notices.js, sharing page-state.js.
// Data lives in store.js (IndexedDB), the wire in protocol.js, the merge in crdt.js.

import { wireAccount } from "./account.js";
import { wireConflictView } from "./conflict-view.js";
import { flushEditor, refreshEditor, save, wireEditor } from "./editor.js";
import { historyNoteChanged, wireHistoryPanel } from "./history-panel.js";
import { refreshPreview, wirePreview } from "./markdown-preview.js";
import { newNote, wireNewNoteDialog } from "./new-note-dialog.js";
import { countShown, queueRender, renderList, wireNoteList } from "./note-list.js";
import { $, errors, metrics, page } from "./page-state.js";
import { SyncClient } from "./js/notesync/protocol.js";
import { storedToken, wireSignInDialog } from "./sign-in-dialog.js";
import { renderReset, renderStatus, wireNotices } from "./status-notices.js";
import { wireRenameDialog } from "./rename-dialog.js";
import { NoteStore } from "./store.js";
import { becomeWriter } from "./tab-election.js";
import { wireTrashView } from "./trash-view.js";
import { wireUndoDelete } from "./undo-delete.js";

async function main() {
  // Two tabs of one browser share one device id, clock and outbox; only one may write. It holds the
  // role for the page's life; a second tab waits (and takes over when the first closes). The notice
  // waits a moment, since a reloading tab's old page may not have let go yet.
  const notice = setTimeout(() => { $("other-tab").hidden = false; }, 1500);
  await becomeWriter(flushEditor);
  clearTimeout(notice);
  $("other-tab").hidden = true;

  const store = await NoteStore.open();
  page.store = store;
  renderList();
  metrics.firstRenderMs = performance.now();
  metrics.firstRenderNotes = countShown();
  performance.mark("notesync:first-render");

  // The protocol client knows nothing of the page: its server, settings and token are given here.
  const client = new SyncClient({ baseUrl: location.origin, deviceId: store.deviceId, ...syncConfigFromUrl() }, store, storedToken());
  page.client = client;
  client.onstatus = renderStatus;
  client.onerror = error => { errors.push(error); if (errors.length > 50) errors.shift(); };
  client.onchanges = keys => {
    renderReset();
    historyNoteChanged(keys);
    // A preview that failed (offline, no answer) tries again once the server answers.
    refreshPreview();
    if (keys.length === 0) return;
    queueRender();
    if (page.selected && keys.includes(page.selected)) refreshEditor();
  };
  window.notesync = { store, client, metrics, errors };
  wireUi();
  client.start();
  document.body.dataset.ready = "true";
  keepForOffline();
}

// The service worker (service-worker.js) keeps the page's files, so the page opens without the network;
// it exists only in a secure context (https, or localhost). data-offline-ready says they are kept.
async function keepForOffline() {
  if (!navigator.serviceWorker) return;
  try {
    await navigator.serviceWorker.register("service-worker.js");
    const registration = await navigator.serviceWorker.ready;
    navigator.serviceWorker.addEventListener("message", ({ data }) => { if (data?.type === "kept") document.body.dataset.offlineReady = "true"; });
    const urls = performance.getEntriesByType("resource").map(e => e.name);
    registration.active.postMessage({ type: "keep", urls });
  } catch (error) {
    errors.push({ code: "service_worker", message: String(error?.message ?? error) });
  }
}

// SyncConfig's transport settings may be given in the page's address (docs/web.md):
// ?enable_websocket=false polls POST /sync; sync_interval_ms, request_timeout_ms, heartbeat_ms and
// websocket_retry_ms (whole milliseconds, at least 100) set the polling interval, the dead-connection
// checks and how long the page polls after a WebSocket failed before it tries one again.
function syncConfigFromUrl() {
  const query = new URLSearchParams(location.search);
  const config = {};
  if (query.get("enable_websocket") === "false") config.enableWebSocket = false;
  const settings = [
    ["sync_interval_ms", "syncIntervalMs"], ["request_timeout_ms", "requestTimeoutMs"],
    ["heartbeat_ms", "heartbeatMs"], ["websocket_retry_ms", "webSocketRetryMs"],
  ];
  for (const [name, option] of settings) {
    const ms = Number(query.get(name));
    if (Number.isInteger(ms) && ms >= 100) config[option] = ms;
  }
  return config;
}

function wireUi() {
  wireNoteList();
  wireNewNoteDialog();
  wireRenameDialog();
  wireSignInDialog();
  wireAccount();
  wireNotices();
  wireEditor();
  wireConflictView();
  wireHistoryPanel();
  wirePreview();
  wireTrashView();
  wireUndoDelete();
  document.addEventListener("keydown", e => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "s") { e.preventDefault(); save(); }
    else if (isNewNoteShortcut(e)) { e.preventDefault(); newNote(); }
    else if ((mod && e.key.toLowerCase() === "k") || (e.key === "/" && !e.target.closest?.("input, textarea"))) { e.preventDefault(); $("search").focus(); $("search").select(); }
  });
}

// Alt+N, as the page says, and only where Alt+N types nothing: AltGr (Ctrl+Alt on Windows, AltGraph
// elsewhere) types ń or ” with N on some layouts, and a Mac's Option+N is the dead key of ñ, so those
// reach the text.
const MAC = /^(mac|iphone|ipad)/i.test(navigator.userAgentData?.platform ?? navigator.platform ?? "");

function isNewNoteShortcut(e) {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.getModifierState?.("AltGraph") || e.code !== "KeyN") return false;
  return e.key !== "Dead" && !MAC;
}

main().catch(error => {
  document.body.dataset.ready = "error";
  $("status-text").textContent = `Failed to start: ${error.message}`;
  throw error;
});
