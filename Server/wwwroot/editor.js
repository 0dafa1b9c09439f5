// The editor: the open note's text, saved as the person types, never replaced under their cursor by a
// change from elsewhere (that shows in the conflict view beside it), and its save state.

import { isConflict, winner } from "./js/notesync/crdt.js";
import { renderConflict } from "./conflict-view.js";
import { closeHistory } from "./history-panel.js";
import { closePreview, refreshPreview } from "./markdown-preview.js";
import { renderMergedMark } from "./merged-mark.js";
import { queueRender } from "./note-list.js";
import { pathOf } from "./note-paths.js";
import { $, page } from "./page-state.js";
import { offerUndo } from "./undo-delete.js";

const AUTOSAVE_MS = 600;
let autosaveTimer = 0;

export function open(key) {
  if (page.selected && page.dirty) save();
  if (key !== page.selected) { closeHistory(); closePreview(); }
  page.selected = key;
  page.dirty = false;
  page.mergeMode = false;
  page.base = null;
  document.body.classList.add("show-editor");
  $("empty").hidden = true;
  $("editor-pane").hidden = false;
  refreshEditor();
  queueRender();
}

// Shows the open note's stored state. Text being typed (dirty) or a merge being edited is never
// replaced: a change from elsewhere shows in the conflict view beside it, and stays there after the
// save (kept) until the person chooses; our own write needs no reload.
export function refreshEditor() {
  const path = pathOf(page.selected);
  $("note-path").textContent = path;
  $("note-path").title = path;
  // A note just named in the New dialog is not stored yet: it shows as empty.
  const state = page.store.entries.get(page.selected) ?? { heads: [{ timestamp: 0, device_id: page.store.deviceId, value: "" }] };
  const shown = winner(state);
  const conflict = isConflict(state);
  const pending = page.store.outbox.get(page.selected);
  $("rejected-notice").hidden = !pending?.rejected;
  $("rejected-notice").textContent = pending?.rejected ? `The server refused this edit: ${pending.rejected}. Change the note to try again.` : "";
  const value = shown.value ?? "";
  const changedWhileTyping = (page.dirty || page.mergeMode) && !sameWrite(shown, page.base) && $("content").value !== value && page.store.entries.has(page.selected);
  renderConflict(state, conflict, changedWhileTyping);
  renderMergedMark(page.store.entries.get(page.selected));
  // A note in conflict, or with kept versions, is settled first: they belong to its name.
  $("rename").disabled = !$("conflict-view").hidden || shown.value === null;
  if (page.dirty || page.mergeMode) {
    renderSaveState();
    return;
  }
  page.base = page.store.entries.has(page.selected) ? shown : null;
  const content = $("content");
  if (content.value !== value) {
    const { selectionStart, selectionEnd } = content;
    content.value = value;
    content.setSelectionRange(Math.min(selectionStart, value.length), Math.min(selectionEnd, value.length));
  }
  content.placeholder = shown.value === null ? "(deleted on another device)" : "Write here…";
  renderSaveState();
  refreshPreview();
}

const sameWrite = (a, b) => !!a && !!b && a.timestamp === b.timestamp && a.device_id === b.device_id;

export function renderSaveState() {
  const pending = page.selected && page.store.outbox.get(page.selected);
  $("save-state").textContent = page.dirty ? "Editing…" : pending ? (pending.rejected ? "Refused" : "Saved, not sent") : "Synced";
  $("save-state").dataset.state = page.dirty ? "editing" : pending ? "unsent" : "synced";
}

export async function save() {
  clearTimeout(autosaveTimer);
  if (!page.selected || !page.dirty) return;
  const key = page.selected;
  const text = $("content").value;
  const merged = page.mergeMode;
  page.dirty = false;
  page.mergeMode = false;
  const current = page.store.entries.get(key);
  // Writing the same text again would only tick the clock; a conflict is resolved by any new write.
  if (current && winner(current).value === text && !isConflict(current) && !merged) { renderSaveState(); return; }
  // A merge is the person's choice among every version; typing over a note keeps what it replaced unseen.
  await write(key, text, merged ? undefined : page.base);
  if (merged) await dismissKept(key);
}

// Saves what the editor holds now, before the page may be frozen or killed (a hidden tab on a phone
// often is, with no later event). A merge being edited is saved only on purpose.
export function flushEditor() {
  return page.dirty && !page.mergeMode ? save() : Promise.resolve();
}

export async function write(key, value, from = undefined) {
  const w = await page.store.write(key, value, from);
  // The person's next text builds on this write, whether or not they typed on meanwhile.
  if (key === page.selected) page.base = w;
  page.client.kick();
  queueRender();
  if (key === page.selected) refreshEditor();
}

export async function dismissKept(key) {
  await page.store.dismissKept(key);
  queueRender();
  if (key === page.selected) refreshEditor();
}

// The note listed after `key` (else before it), where the focus goes once Undo is no longer offered.
function neighbourOf(key) {
  const items = [...document.querySelectorAll(".note-item")];
  const i = items.findIndex(item => item.dataset.key === key);
  return i < 0 ? null : (items[i + 1] ?? items[i - 1])?.dataset.key ?? null;
}

export function wireEditor() {
  $("save").addEventListener("click", save);
  $("delete").addEventListener("click", async () => {
    const key = page.selected;
    // What the person saw, typing included, is what Undo brings back.
    const text = $("content").value;
    const neighbour = neighbourOf(key);
    page.dirty = false;
    closeHistory();
    closePreview();
    await write(key, null);
    page.selected = null;
    $("editor-pane").hidden = true;
    $("empty").hidden = false;
    document.body.classList.remove("show-editor");
    offerUndo(key, text, neighbour);
  });
  $("back").addEventListener("click", () => { if (page.dirty) save(); document.body.classList.remove("show-editor"); });
  $("content").addEventListener("input", () => {
    page.dirty = true;
    renderSaveState();
    clearTimeout(autosaveTimer);
    // A merge in progress is saved only on purpose: half a merge must not resolve the conflict.
    if (!page.mergeMode) autosaveTimer = setTimeout(save, AUTOSAVE_MS);
  });
  window.addEventListener("pagehide", flushEditor);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushEditor(); });
}
