// Rename or move the open note: a new name checked as a new note's is, then the old key deleted and the
// new one written with the note's text, together (store.writeAll: one push, which the server takes
// whole or not at all). Other devices see a delete and a new note; a synced folder moves the file.

import { winner } from "./js/notesync/crdt.js";
import { flushEditor, open } from "./editor.js";
import { queueRender } from "./note-list.js";
import { checkPath, notePathOf, pathOf } from "./note-paths.js";
import { $, page } from "./page-state.js";

function openRename() {
  if (!page.selected) return;
  $("rename-path").value = pathOf(page.selected);
  $("rename-error").hidden = true;
  $("rename-dialog").returnValue = "";
  $("rename-dialog").showModal();
  $("rename-path").select();
}

// The problem with the name typed, as the New dialog says it, or null.
function problemOf(name, from) {
  const path = notePathOf(name);
  if (`note:${path}` === from) return "That is the note's name already.";
  return checkPath(name) ?? (page.store.entries.get(`note:${path}`)?.heads[0].value != null ? `A note named “${path}” exists.` : null);
}

async function rename(event) {
  if (event.submitter?.value !== "rename") return;
  const from = page.selected;
  // Keys are in NFC, as a new note's name is made.
  const name = $("rename-path").value.trim().normalize("NFC");
  const problem = problemOf(name, from);
  if (problem) {
    event.preventDefault();
    $("rename-error").textContent = problem;
    $("rename-error").hidden = false;
    return;
  }
  const to = `note:${notePathOf(name)}`;
  // What is typed is stored first: the text that moves is the note's latest.
  await flushEditor();
  const state = page.store.entries.get(from);
  const text = state ? winner(state).value ?? "" : "";
  await page.store.writeAll(state ? [{ key: from, value: null }, { key: to, value: text }] : [{ key: to, value: text }]);
  page.client.kick();
  open(to);
  queueRender();
  $("content").focus();
}

export function wireRenameDialog() {
  $("rename").addEventListener("click", openRename);
  $("rename-form").addEventListener("submit", rename);
  $("rename-cancel").addEventListener("click", () => $("rename-dialog").close());
  // Closed without a rename: back to the button that opened it.
  $("rename-dialog").addEventListener("close", () => { if ($("rename-dialog").returnValue !== "rename") $("rename").focus(); });
}
