// The conflict view: every version of the open note to choose from (a conflict's siblings and the
// kept copies), and the three ways to settle it: keep one, edit a merge, keep both as notes.

import { siblings, winner } from "./js/notesync/crdt.js";
import { dismissKept, flushEditor, renderSaveState, write } from "./editor.js";
import { freeKey, pathOf, safeDevice } from "./note-paths.js";
import { $, page } from "./page-state.js";

// Every version of the open note to choose from: the stored ones (the shown first), then the kept
// ones ({reason}: "lost" or "overwritten").
function versionsOf(key, state) {
  const versions = [winner(state), ...siblings(state)];
  for (const k of page.store.kept.get(key) ?? []) if (!versions.some(v => v.value === k.value)) versions.push(k);
  return versions;
}

const KEPT_LABEL = {
  lost: "your edit, kept: a newer one from another device replaced it before it was sent",
  overwritten: "kept: it arrived while you were typing, and your save replaced it",
};

export function renderConflict(state, conflict, changedWhileTyping) {
  const kept = page.store.kept.get(page.selected) ?? [];
  const show = conflict || kept.length > 0 || changedWhileTyping;
  $("conflict-view").hidden = !show;
  $("conflict-view").dataset.kind = conflict ? "conflict" : kept.length > 0 ? "kept" : show ? "typing" : "";
  $("editor-badge").hidden = !show;
  $("editor-badge").textContent = conflict ? "Conflict" : "Kept copy";
  if (!show) { page.mergeMode = false; $("merge-hint").hidden = true; return; }
  $("conflict-intro").textContent = conflict
    ? "Two devices edited this note without seeing each other's edit. Choose what it should say:"
    : changedWhileTyping
      ? "This note changed on another device while you were typing. Your text stays in the editor and is saved as usual; theirs stays here until you choose:"
      : "A version of this note was replaced before you saw it. It is kept here until you choose what the note should say:";
  const versions = versionsOf(page.selected, state);
  const cards = versions.map((w, i) => {
    const card = document.createElement("article");
    card.className = "version";
    card.dataset.device = w.device_id;
    if (w.reason) card.dataset.kept = w.reason;
    const head = document.createElement("header");
    const who = document.createElement("strong");
    who.textContent = w.device_id === page.store.deviceId ? `${w.device_id} (this browser)` : w.device_id;
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

async function resolve(value) {
  page.dirty = false;
  page.mergeMode = false;
  const key = page.selected;
  await write(key, value);
  await dismissKept(key);
  // The chosen card and its button are gone with the conflict view: the note's text is what comes next.
  if (page.selected === key) $("content").focus();
}

async function editMerge() {
  // Text being typed is one of the versions to merge: stored first, it is the shown one.
  await flushEditor();
  const key = page.selected;
  const versions = versionsOf(key, page.store.entries.get(key)).filter(w => w.value !== null);
  // The server's line merge from the version both edits came from (docs/protocol.md §2.3), markers where
  // they overlap; without one (offline, or no common version in its history) the texts one after another.
  const suggested = versions.length === 2 ? await mergeSuggestion(key) : null;
  if (page.selected !== key) return;
  page.mergeMode = true;
  page.dirty = true;
  $("content").value = suggested ?? versions.map(w => w.value).join("\n\n");
  $("merge-hint").hidden = suggested === null;
  $("content").focus();
  renderSaveState();
}

async function mergeSuggestion(key) {
  try {
    return (await page.client.merge(key)).value;
  } catch {
    return null;
  }
}

async function keepBoth() {
  // Text being typed is the version that stays: stored first, what it replaces is kept and becomes a note.
  await flushEditor();
  const key = page.selected;
  const state = page.store.entries.get(key);
  const path = pathOf(key);
  // The shown version stays here (written again, which clears the conflict); each other becomes a new note.
  for (const s of versionsOf(key, state).slice(1)) {
    if (s.value === null) continue;
    await write(freeKey(page.store.entries, path, ` (${safeDevice(s.device_id)})`), s.value);
  }
  await resolve(winner(state).value);
}

export function wireConflictView() {
  $("edit-merge").addEventListener("click", editMerge);
  $("keep-both").addEventListener("click", keepBoth);
}
