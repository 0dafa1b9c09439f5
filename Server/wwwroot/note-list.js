// The note list: notes grouped in folders from their key paths, filtered by the search box, with
// their badges (conflict, kept copy, unsent or refused).

import { isConflict, winner } from "./js/notesync/crdt.js";
import { open } from "./editor.js";
import { folderOf, pathOf, titleOf } from "./note-paths.js";
import { $, metrics, page } from "./page-state.js";

let renderQueued = false;
const collapsed = new Set();

// A plain delete is gone from the list, unless an edit of it is kept for the person to choose.
const shownNote = (key, state) => winner(state).value !== null || isConflict(state) || page.store.kept.has(key);

export function countShown() {
  let n = 0;
  for (const [key, state] of page.store.entries) if (shownNote(key, state)) n++;
  return n;
}

export function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderList(); });
}

export function renderList() {
  const query = $("search").value.trim().toLowerCase();
  const folders = new Map();
  for (const [key, state] of page.store.entries) {
    if (!shownNote(key, state)) continue;
    const path = pathOf(key);
    const text = winner(state).value ?? "";
    if (query && !path.toLowerCase().includes(query) && !text.toLowerCase().includes(query)) continue;
    const folder = folderOf(path);
    if (!folders.has(folder)) folders.set(folder, []);
    folders.get(folder).push({ key, path, text, conflict: isConflict(state) });
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
      if (note.key === page.selected) { item.classList.add("selected"); item.setAttribute("aria-current", "true"); }
      const title = document.createElement("span");
      title.className = "note-title";
      title.textContent = titleOf(note.path);
      title.title = note.path;
      item.append(title);
      if (note.conflict) item.append(badge("Conflict", "conflict"));
      if (page.store.kept.has(note.key)) item.append(badge("Kept copy", "kept"));
      if (page.store.outbox.has(note.key)) item.append(badge("unsent", page.store.outbox.get(note.key).rejected ? "rejected" : "unsent"));
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
  // The list is rebuilt on every change (an ack takes a badge away): a note the keyboard was on keeps the focus.
  const focused = document.activeElement?.closest?.(".note-item")?.dataset.key;
  $("note-list").replaceChildren(list);
  if (focused) $("note-list").querySelector(`.note-item[data-key="${CSS.escape(focused)}"]`)?.focus();
  $("note-list").dataset.count = count;
  if (metrics.renders.length < 100) metrics.renders.push({ ms: performance.now(), notes: count });
}

function badge(text, kind) {
  const b = document.createElement("span");
  b.className = `badge ${kind}`;
  b.textContent = text;
  return b;
}

export function wireNoteList() {
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
}
