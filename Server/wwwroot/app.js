// The NoteSync page: a note list (folders from the key paths), an editor, a live status, and the
// conflict view. Data lives in store.js (IndexedDB), the wire in protocol.js, the merge in crdt.js.

import { NoteStore } from "./store.js";
import { SyncClient, refusedCharacter } from "./protocol.js";
import { isConflict, siblings, winner } from "./crdt.js";

const TOKEN_KEY = "notesync.token";
const AUTOSAVE_MS = 600;
const MAX_KEY_BYTES = 1024;        // docs/protocol.md §1
const $ = id => document.getElementById(id);
const utf8 = new TextEncoder();

// What tests and curious people can read: window.notesync.metrics.firstRenderMs and friends.
const metrics = { firstRenderMs: null, firstRenderNotes: null, renders: [], lastFilterMs: null };
const errors = [];           // the last error frames and failures the client saw (window.notesync.errors)
let store;
let client;
let selected = null;         // the open note's key
let dirty = false;           // the editor holds text not yet written to the store
let mergeMode = false;       // the editor holds a merge being edited
let base = null;             // the write the editor's text started from: a save over another one keeps that one
let autosaveTimer = 0;
let renderQueued = false;
const collapsed = new Set();

const pathOf = key => key.slice("note:".length);
const folderOf = path => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const nameOf = path => path.slice(path.lastIndexOf("/") + 1);
// A notesync CLI folder holds only .md and .txt files (NotePaths.HasNoteExtension: either case), so
// a note made here gets .md unless its name already says .md or .txt; then it reaches every folder.
const NOTE_EXTENSION = /\.(md|txt)$/i;
const extensionOf = path => NOTE_EXTENSION.exec(nameOf(path))?.[0] ?? "";
const notePathOf = name => (extensionOf(name) ? name : `${name}.md`);
// The list reads like a list of notes, not of files: "plans", not "plans.md" (the editor shows the path).
const titleOf = path => nameOf(path).replace(/\.md$/i, "") || nameOf(path);
// A plain delete is gone from the list, unless an edit of it is kept for the person to choose.
const shownNote = (key, writes) => writes[0].value !== null || isConflict(writes) || store.kept.has(key);

async function main() {
  // Two tabs of one browser share one device id, clock and outbox; only one may write. It holds the
  // role for the page's life; a second tab waits (and takes over when the first closes). The notice
  // waits a moment, since a reloading tab's old page may not have let go yet.
  const notice = setTimeout(() => { $("other-tab").hidden = false; }, 1500);
  await (navigator.locks ? holdWebLock() : electOverChannel());
  clearTimeout(notice);
  $("other-tab").hidden = true;

  store = await NoteStore.open();
  renderList();
  metrics.firstRenderMs = performance.now();
  metrics.firstRenderNotes = countShown();
  performance.mark("notesync:first-render");

  client = new SyncClient({ deviceId: store.deviceId, ...syncConfigFromUrl() }, store, localStorage.getItem(TOKEN_KEY));
  client.onstatus = renderStatus;
  client.onerror = error => { errors.push(error); if (errors.length > 50) errors.shift(); };
  client.onchanges = keys => {
    renderReset();
    if (keys.length === 0) return;
    queueRender();
    if (selected && keys.includes(selected)) refreshEditor();
  };
  window.notesync = { store, client, metrics, errors };
  wireUi();
  client.start();
  document.body.dataset.ready = "true";
}

// A Web Lock, held until the page goes: the browser hands it to the next tab in line.
function holdWebLock() {
  return new Promise(resolve => navigator.locks.request("notesync-page", () => { resolve(); return new Promise(() => {}); }));
}

// Without Web Locks (they exist only in secure contexts: a page opened as http://notes.lan:5000/ has
// none) the tabs elect one writer over a BroadcastChannel. A tab asks who writes; the writer answers
// at once, whatever it is doing, since messages are not throttled like timers of a hidden tab. With no
// answer the tab claims the role, and of claims heard together the lowest id wins. The writer says when
// it goes; a tab that waits also asks again now and then, in case the writer's browser process died.
const ELECTION_WINDOW_MS = 400;
const ELECTION_RETRY_MS = 2000;

function electOverChannel() {
  if (typeof BroadcastChannel === "undefined") return Promise.resolve();   // no other tab can share our storage unseen either
  const channel = new BroadcastChannel("notesync-page");
  const me = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let leading = false;
  let since = 0;
  let heard = null;          // while electing: {writer, claims}
  let wake = () => {};
  channel.onmessage = ({ data }) => {
    if (!data || data.id === me) return;
    if (data.type === "who" || data.type === "claim") {
      if (leading) channel.postMessage({ type: "here", id: me, since });
      if (data.type === "claim") heard?.claims.push(data.id);
    } else if (data.type === "here") {
      if (heard) heard.writer = true;
      // Two writers (one was too busy to answer in time): the newer one stands down and starts over
      // as a waiting tab. Its writes are safe: the store reads clock and outbox in each transaction.
      if (leading && (data.since < since || (data.since === since && data.id < me))) {
        leading = false;
        flushEditor().finally(() => location.reload());
      }
    } else if (data.type === "gone") {
      wake();
    }
  };
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
  // Waiting for the next try: the writer's goodbye ends it at once.
  const idle = ms => new Promise(resolve => { const t = setTimeout(resolve, ms); wake = () => { clearTimeout(t); wake = () => {}; resolve(); }; });
  const elect = async () => {
    for (;;) {
      heard = { writer: false, claims: [] };
      channel.postMessage({ type: "who", id: me });
      await sleep(ELECTION_WINDOW_MS);
      if (!heard.writer) {
        channel.postMessage({ type: "claim", id: me });
        await sleep(ELECTION_WINDOW_MS);
        if (!heard.writer && !heard.claims.some(id => id < me)) break;
      }
      heard = null;
      await idle(ELECTION_RETRY_MS);
    }
    heard = null;
    leading = true;
    since = Date.now();
    window.addEventListener("pagehide", () => channel.postMessage({ type: "gone", id: me }));
    // A frozen page answers nobody, and a waiting tab may have taken over meanwhile: say who writes
    // on coming back, so that one of the two stands down.
    const announce = () => { if (leading) channel.postMessage({ type: "here", id: me, since }); };
    document.addEventListener("resume", announce);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") announce(); });
  };
  return elect();
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

// ---- the list ----

function countShown() {
  let n = 0;
  for (const [key, writes] of store.entries) if (shownNote(key, writes)) n++;
  return n;
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderList(); });
}

function renderList() {
  const query = $("search").value.trim().toLowerCase();
  const folders = new Map();
  for (const [key, writes] of store.entries) {
    if (!shownNote(key, writes)) continue;
    const path = pathOf(key);
    const text = writes[0].value ?? "";
    if (query && !path.toLowerCase().includes(query) && !text.toLowerCase().includes(query)) continue;
    const folder = folderOf(path);
    if (!folders.has(folder)) folders.set(folder, []);
    folders.get(folder).push({ key, path, text, conflict: isConflict(writes) });
  }

  const list = document.createDocumentFragment();
  let count = 0;
  for (const folder of [...folders.keys()].sort()) {
    const notes = folders.get(folder).sort((a, b) => (a.path < b.path ? -1 : 1));
    const group = document.createElement("details");
    group.className = "folder";
    group.open = query !== "" || !collapsed.has(folder);
    group.dataset.folder = folder;
    const summary = document.createElement("summary");
    summary.textContent = folder || "Notes";
    const n = document.createElement("span");
    n.className = "count";
    n.textContent = notes.length;
    summary.append(n);
    group.append(summary);
    group.addEventListener("toggle", () => { if (!query) (group.open ? collapsed.delete(folder) : collapsed.add(folder)); });
    for (const note of notes) {
      const item = document.createElement("button");
      item.className = "note-item";
      item.dataset.key = note.key;
      if (note.key === selected) item.classList.add("selected");
      const title = document.createElement("span");
      title.className = "note-title";
      title.textContent = titleOf(note.path);
      title.title = note.path;
      item.append(title);
      if (note.conflict) item.append(badge("Conflict", "conflict"));
      if (store.kept.has(note.key)) item.append(badge("Kept copy", "kept"));
      if (store.outbox.has(note.key)) item.append(badge("unsent", store.outbox.get(note.key).rejected ? "rejected" : "unsent"));
      const snippet = document.createElement("span");
      snippet.className = "note-snippet";
      snippet.textContent = note.text.split("\n", 1)[0].slice(0, 80) || "\u00a0";
      item.append(snippet);
      group.append(item);
      count++;
    }
    list.append(group);
  }
  if (count === 0) {
    const empty = document.createElement("p");
    empty.className = "list-empty";
    empty.textContent = query ? "No note matches." : "No notes yet.";
    list.append(empty);
  }
  $("note-list").replaceChildren(list);
  $("note-list").dataset.count = count;
  if (metrics.renders.length < 100) metrics.renders.push({ ms: performance.now(), notes: count });
}

function badge(text, kind) {
  const b = document.createElement("span");
  b.className = `badge ${kind}`;
  b.textContent = text;
  return b;
}

// ---- the editor ----

function open(key) {
  if (selected && dirty) save();
  selected = key;
  dirty = false;
  mergeMode = false;
  base = null;
  document.body.classList.add("show-editor");
  $("empty").hidden = true;
  $("editor-pane").hidden = false;
  refreshEditor();
  queueRender();
}

// Shows the open note's stored state. Text being typed (dirty) or a merge being edited is never
// replaced: a change from elsewhere shows in the conflict view beside it, and stays there after the
// save (kept) until the person chooses; our own write needs no reload.
function refreshEditor() {
  const path = pathOf(selected);
  $("note-path").textContent = path;
  $("note-path").title = path;
  const writes = store.entries.get(selected) ?? [{ timestamp: 0, device_id: store.deviceId, value: "" }];
  const conflict = isConflict(writes);
  const pending = store.outbox.get(selected);
  $("rejected-notice").hidden = !pending?.rejected;
  $("rejected-notice").textContent = pending?.rejected ? `The server refused this edit: ${pending.rejected}. Change the note to try again.` : "";
  const value = writes[0].value ?? "";
  const changedWhileTyping = (dirty || mergeMode) && !sameWrite(writes[0], base) && $("content").value !== value && store.entries.has(selected);
  renderConflict(writes, conflict, changedWhileTyping);
  if (dirty || mergeMode) {
    renderSaveState();
    return;
  }
  base = store.entries.has(selected) ? writes[0] : null;
  const content = $("content");
  if (content.value !== value) {
    const { selectionStart, selectionEnd } = content;
    content.value = value;
    content.setSelectionRange(Math.min(selectionStart, value.length), Math.min(selectionEnd, value.length));
  }
  content.placeholder = writes[0].value === null ? "(deleted on another device)" : "Write here…";
  renderSaveState();
}

const sameWrite = (a, b) => !!a && !!b && a.timestamp === b.timestamp && a.device_id === b.device_id;

// Every version of the open note to choose from: the stored ones (the shown first), then the kept
// ones ({reason}: "lost" or "overwritten").
function versionsOf(key, writes) {
  const versions = [winner(writes), ...siblings(writes)];
  for (const k of store.kept.get(key) ?? []) if (!versions.some(v => v.value === k.value)) versions.push(k);
  return versions;
}

const KEPT_LABEL = {
  lost: "your edit, kept: a newer one from another device replaced it before it was sent",
  overwritten: "kept: it arrived while you were typing, and your save replaced it",
};

function renderConflict(writes, conflict, changedWhileTyping) {
  const kept = store.kept.get(selected) ?? [];
  const show = conflict || kept.length > 0 || changedWhileTyping;
  $("conflict-view").hidden = !show;
  $("conflict-view").dataset.kind = conflict ? "conflict" : kept.length > 0 ? "kept" : show ? "typing" : "";
  $("editor-badge").hidden = !show;
  $("editor-badge").textContent = conflict ? "Conflict" : "Kept copy";
  if (!show) { mergeMode = false; return; }
  $("conflict-intro").textContent = conflict
    ? "Two devices wrote this note at the same logical time. Choose what it should say:"
    : changedWhileTyping
      ? "This note changed on another device while you were typing. Your text stays in the editor and is saved as usual; theirs stays here until you choose:"
      : "A version of this note was replaced before you saw it. It is kept here until you choose what the note should say:";
  const versions = versionsOf(selected, writes);
  const cards = versions.map((w, i) => {
    const card = document.createElement("article");
    card.className = "version";
    card.dataset.device = w.device_id;
    if (w.reason) card.dataset.kept = w.reason;
    const head = document.createElement("header");
    const who = document.createElement("strong");
    who.textContent = w.device_id === store.deviceId ? `${w.device_id} (this browser)` : w.device_id;
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = `logical time ${w.timestamp}${i === 0 ? " · shown" : ""}${w.reason ? ` · ${KEPT_LABEL[w.reason]}` : ""}`;
    head.append(who, when);
    const body = document.createElement("pre");
    body.textContent = w.value ?? "(deleted)";
    if (w.value === null) body.classList.add("muted");
    const keep = document.createElement("button");
    keep.className = "keep-this primary";
    keep.textContent = "Keep this";
    keep.addEventListener("click", async () => { await flushEditor(); await resolve(w.value); });
    card.append(head, body, keep);
    return card;
  });
  $("versions").replaceChildren(...cards);
}

function renderSaveState() {
  const pending = selected && store.outbox.get(selected);
  $("save-state").textContent = dirty ? "Editing…" : pending ? (pending.rejected ? "Refused" : "Saved, not sent") : "Synced";
  $("save-state").dataset.state = dirty ? "editing" : pending ? "unsent" : "synced";
}

async function save() {
  clearTimeout(autosaveTimer);
  if (!selected || !dirty) return;
  const key = selected;
  const text = $("content").value;
  const merged = mergeMode;
  dirty = false;
  mergeMode = false;
  const current = store.entries.get(key);
  // Writing the same text again would only tick the clock; a conflict is resolved by any new write.
  if (current && current[0].value === text && !isConflict(current) && !merged) { renderSaveState(); return; }
  // A merge is the person's choice among every version; typing over a note keeps what it replaced unseen.
  await write(key, text, merged ? undefined : base);
  if (merged) await dismissKept(key);
}

// Saves what the editor holds now, before the page may be frozen or killed (a hidden tab on a phone
// often is, with no later event). A merge being edited is saved only on purpose.
function flushEditor() {
  return dirty && !mergeMode ? save() : Promise.resolve();
}

async function write(key, value, from = undefined) {
  const w = await store.write(key, value, from);
  // The person's next text builds on this write, whether or not they typed on meanwhile.
  if (key === selected) base = w;
  client.kick();
  queueRender();
  if (key === selected) refreshEditor();
}

async function dismissKept(key) {
  await store.dismissKept(key);
  queueRender();
  if (key === selected) refreshEditor();
}

async function resolve(value) {
  dirty = false;
  mergeMode = false;
  const key = selected;
  await write(key, value);
  await dismissKept(key);
}

async function editMerge() {
  // Text being typed is one of the versions to merge: stored first, it is the shown one.
  await flushEditor();
  const writes = store.entries.get(selected);
  const versions = versionsOf(selected, writes).filter(w => w.value !== null);
  mergeMode = true;
  dirty = true;
  $("content").value = versions.map(w => w.value).join("\n\n");
  $("content").focus();
  renderSaveState();
}

async function keepBoth() {
  // Text being typed is the version that stays: stored first, what it replaces is kept and becomes a note.
  await flushEditor();
  const key = selected;
  const writes = store.entries.get(key);
  const path = pathOf(key);
  // The shown version stays here (written again, which clears the conflict); each other becomes a new note.
  for (const s of versionsOf(key, writes).slice(1)) {
    if (s.value === null) continue;
    await write(freeKey(path, ` (${safeDevice(s.device_id)})`), s.value);
  }
  await resolve(winner(writes).value);
}

// The copy's name is the note's with the suffix before its extension, so it stays a note file:
// "trip/packing.md" -> "trip/packing (zz-tablet).md", then "trip/packing (zz-tablet) 2.md" if taken.
// A key with no extension (from another client) keeps none: "plans" -> "plans (zz-tablet)".
function freeKey(path, suffix) {
  const ext = extensionOf(path);
  const stem = path.slice(0, path.length - ext.length) + suffix;
  const taken = key => store.entries.has(key) && store.entries.get(key)[0].value !== null;
  let key = `note:${stem}${ext}`;
  for (let i = 2; taken(key); i++) key = `note:${stem} ${i}${ext}`;
  return key;
}

// The CLI's rule for a device id in a file name (NotePaths.SafeDevice): letters, digits, ".", "_" and
// "-" stay, the rest becomes "_", so a device id with "/" makes no folder.
const safeDevice = id => id.replace(/[^A-Za-z0-9._-]/g, "_");

// ---- new note, status, auth ----

// Windows opens a device for these names, whatever follows the first dot (NotePaths.DeviceNames).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\.|$)/i;

// Checks the name as typed (in NFC already); the limit counts the key it becomes, the appended ".md" included.
function checkPath(name) {
  if (!name) return "Give the note a name.";
  // The server refuses these in keys (docs/protocol.md §1): control, bidi and invisible characters.
  const refused = refusedCharacter(name);
  if (refused) return `A name cannot hold ${refused}.`;
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return "Folders need names: no leading, trailing or double “/”.";
  // A synced folder skips these (a backslash is a separator on Windows; dot-names are hidden files).
  if (name.includes("\\")) return "A name cannot hold “\\”; use “/” for folders.";
  if (name.split("/").some(part => part.startsWith("."))) return "A name or folder cannot start with “.”.";
  // And names Windows cannot hold, on every OS, so every folder holds the same files (docs/client.md).
  const notPortable = /[<>:"|?*]/.exec(name);
  if (notPortable) return `A name cannot hold “${notPortable[0]}”: a synced folder on Windows could not make a file of it.`;
  for (const part of notePathOf(name).split("/")) {
    if (/[. ]$/.test(part)) return "A name or folder cannot end in “.” or a space.";
    if (WINDOWS_DEVICE.test(part)) return `“${part}” is a device name on Windows: a synced folder could not make a file of it.`;
  }
  const added = notePathOf(name).slice(name.length);
  const limit = MAX_KEY_BYTES - "note:".length - added.length;
  if (utf8.encode(name).length > limit) return added ? `A name is at most ${limit} bytes (with the “${added}” added, ${limit + added.length}).` : `A name is at most ${limit} bytes.`;
  return null;
}

function newNote() {
  const folder = selected ? folderOf(pathOf(selected)) : "";
  $("new-path").value = folder ? `${folder}/` : "";
  $("new-error").hidden = true;
  $("new-dialog").showModal();
  $("new-path").focus();
}

async function createNote(event) {
  if (event.submitter?.value !== "create") return;
  // Keys are in NFC, so names that look the same are one note whatever the keyboard or paste produced.
  const name = $("new-path").value.trim().normalize("NFC");
  const path = notePathOf(name);
  const problem = checkPath(name) ?? (store.entries.get(`note:${path}`)?.[0].value != null ? `A note named “${path}” exists.` : null);
  if (problem) {
    event.preventDefault();
    $("new-error").textContent = problem;
    $("new-error").hidden = false;
    return;
  }
  // The editor switches at once, so nothing typed next lands in the previously open note.
  open(`note:${path}`);
  $("content").focus();
  await write(`note:${path}`, "");
}

const STATUS_TEXT = {
  connected: "Connected", syncing: "Syncing…", polling: "Connected (polling)", connecting: "Connecting…",
  offline: "Offline", unauthorized: "Sign-in needed", forbidden: "Not allowed",
};

let shownUnsent = 0;
const RESET_NOTICE_MS = 30_000;    // how long "re-uploaded" stays once the re-upload is over
let dismissedReset = null;         // the lastReset the user hid
let resetTimer = 0;

const notes = n => (n === 1 ? "1 note" : `${n} notes`);

// A brief line under the top bar while the server's lost history is read again and put back, so a
// burst of "unsent" and "syncing" after a restore has a reason the user can read. Not modal: the
// page works on throughout.
function renderReset() {
  const notice = $("reset-notice");
  const reset = store.reset;
  let state = null;
  let text = "";
  let count = 0;
  if (reset?.phase === "reading") {
    state = "reading";
    text = "Server restored from a backup: checking which notes it lost…";
  } else if (reset?.phase === "reuploading") {
    state = "reuploading";
    count = reset.keys.length;
    const left = reset.keys.filter(key => store.outbox.has(key) && !store.outbox.get(key).rejected).length;
    text = `Server restored from a backup: re-uploading ${notes(count)}${left < count ? ` (${left} to go)` : ""}`;
  } else if (store.lastReset && store.lastReset !== dismissedReset && Date.now() - store.lastReset.at < RESET_NOTICE_MS) {
    state = "done";
    count = store.lastReset.keys;
    text = count > 0
      ? `Server restored from a backup: ${notes(count)} from this browser put back.`
      : "Server restored from a backup: it lost nothing this browser holds.";
    clearTimeout(resetTimer);
    resetTimer = setTimeout(renderReset, RESET_NOTICE_MS - (Date.now() - store.lastReset.at));
  }
  notice.hidden = state === null;
  notice.dataset.state = state ?? "";
  notice.dataset.count = count;
  $("reset-dismiss").hidden = state !== "done";
  if ($("reset-text").textContent !== text) $("reset-text").textContent = text;
}

// While the server refuses the outbox for want of room in the space (quota_exceeded), its reason stays
// in a line under the top bar: the edits are safe here, and only the person can make room.
function renderQuota() {
  const refusal = client?.refusal;
  const notice = $("quota-notice");
  notice.hidden = !refusal;
  const text = refusal ? `The server has no room for your edits: ${refusal.message}. They are kept in this browser and sent once there is room.` : "";
  if (notice.textContent !== text) notice.textContent = text;
}

function renderStatus(status) {
  renderReset();
  renderQuota();
  const unsent = store.outbox.size;
  // An acknowledgement changes no note, only its "unsent" badge.
  if (unsent !== shownUnsent) { shownUnsent = unsent; queueRender(); }
  $("status").dataset.state = status;
  $("status-text").textContent = STATUS_TEXT[status] ?? status;
  $("status").title = client?.lastError ? `${client.lastError.code}: ${client.lastError.message}` : "";
  $("unsent").hidden = unsent === 0;
  $("unsent").dataset.count = unsent;
  $("unsent").textContent = `${unsent} unsent`;
  if (selected) renderSaveState();
  if (status === "unauthorized" && !$("token-dialog").open) {
    const had = localStorage.getItem(TOKEN_KEY);
    $("token-error").hidden = !had;
    $("token-error").textContent = had ? `The server refused the token (${client.lastError?.message ?? "unauthorized"}).` : "";
    $("token").value = "";
    $("token-dialog").showModal();
  }
}

function saveToken(event) {
  const token = $("token").value.trim();
  if (!token) { event.preventDefault(); return; }
  localStorage.setItem(TOKEN_KEY, token);
  client.setToken(token);
}

function wireUi() {
  $("note-list").addEventListener("click", e => {
    const item = e.target.closest(".note-item");
    if (item) open(item.dataset.key);
  });
  $("search").addEventListener("input", () => {
    const start = performance.now();
    renderList();
    metrics.lastFilterMs = performance.now() - start;
  });
  $("search").addEventListener("keydown", e => { if (e.key === "Escape") { $("search").value = ""; renderList(); $("search").blur(); } });
  $("new-note").addEventListener("click", newNote);
  $("new-form").addEventListener("submit", createNote);
  $("token-form").addEventListener("submit", saveToken);
  $("token-dialog").addEventListener("cancel", e => e.preventDefault());
  $("reset-dismiss").addEventListener("click", () => { dismissedReset = store.lastReset; renderReset(); });
  $("save").addEventListener("click", save);
  $("delete").addEventListener("click", async () => {
    const key = selected;
    dirty = false;
    await write(key, null);
    selected = null;
    $("editor-pane").hidden = true;
    $("empty").hidden = false;
    document.body.classList.remove("show-editor");
  });
  $("back").addEventListener("click", () => { if (dirty) save(); document.body.classList.remove("show-editor"); });
  $("edit-merge").addEventListener("click", editMerge);
  $("keep-both").addEventListener("click", keepBoth);
  $("content").addEventListener("input", () => {
    dirty = true;
    renderSaveState();
    clearTimeout(autosaveTimer);
    // A merge in progress is saved only on purpose: half a merge must not resolve the conflict.
    if (!mergeMode) autosaveTimer = setTimeout(save, AUTOSAVE_MS);
  });
  window.addEventListener("pagehide", flushEditor);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushEditor(); });
  document.addEventListener("keydown", e => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "s") { e.preventDefault(); save(); }
    else if (e.altKey && e.code === "KeyN") { e.preventDefault(); newNote(); }
    else if ((mod && e.key.toLowerCase() === "k") || (e.key === "/" && !e.target.closest?.("input, textarea"))) { e.preventDefault(); $("search").focus(); $("search").select(); }
  });
}

main().catch(error => {
  document.body.dataset.ready = "error";
  $("status-text").textContent = `Failed to start: ${error.message}`;
  throw error;
});
