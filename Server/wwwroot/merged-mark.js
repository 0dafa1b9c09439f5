// A quiet mark on a note whose shown version is the server's automatic merge of two edits: who the
// merged edits came from, and a one-click way back to either (a restore of that version). A change
// does not carry its base, so the merged versions are read from the note's history, once per merge.

import { winner } from "./js/notesync/crdt.js";
import { flushEditor, write } from "./editor.js";
import { $, page } from "./page-state.js";
import { deviceLabel, failureText, online } from "./version-labels.js";

/** The device id the server writes its merges under (docs/protocol.md). */
export const MERGE_DEVICE = "notesync:merge";

// `${key} ${timestamp}` of a merge -> the versions it merged ([{timestamp, device_id}]), or a promise while asked.
const merged = new Map();

/** Shows or hides the mark for the open note's stored state (undefined: a note not stored yet). */
export function renderMergedMark(state) {
  const key = page.selected;
  const shown = state ? winner(state) : null;
  const mark = $("merged-mark");
  if (shown?.device_id !== MERGE_DEVICE) { mark.hidden = true; return; }
  mark.hidden = false;
  const id = `${key} ${shown.timestamp}`;
  const known = merged.get(id);
  if (Array.isArray(known)) { renderSources(key, known); return; }
  $("merged-text").textContent = "Merged automatically from two edits.";
  $("merged-actions").replaceChildren();
  if (known || !online()) return;
  merged.set(id, readBase(key, shown).then(
    base => { merged.set(id, base); if (page.selected === key) renderMergedMark(page.store.entries.get(key)); },
    error => { merged.delete(id); if (page.selected === key) $("merged-text").textContent = `Merged automatically. ${failureText("Its history", error)}`; },
  ));
}

async function readBase(key, shown) {
  const versions = await page.client.history(key);
  const version = versions.find(v => v.timestamp === shown.timestamp && v.device_id === shown.device_id);
  return version?.base ?? [];
}

function renderSources(key, base) {
  const names = base.map(b => deviceLabel(b.device_id));
  $("merged-text").textContent = names.length === 0
    ? "Merged automatically."
    : `Merged from ${names.slice(0, -1).join(", ")}${names.length > 1 ? " and " : ""}${names.at(-1)}.`;
  $("merged-actions").replaceChildren(...base.map((b, i) => {
    const back = document.createElement("button");
    back.className = "merged-back";
    back.dataset.device = b.device_id;
    back.textContent = `Back to ${names[i]}'s version`;
    back.addEventListener("click", () => restoreVersion(key, b));
    return back;
  }));
}

async function restoreVersion(key, source) {
  let answer;
  try {
    answer = await page.client.version(key, source.timestamp, source.device_id);
  } catch (error) {
    $("merged-text").textContent = failureText("That version", error);
    return;
  }
  if (answer.value === null) return;
  await flushEditor();
  page.dirty = false;
  page.mergeMode = false;
  await write(key, answer.value);
}
