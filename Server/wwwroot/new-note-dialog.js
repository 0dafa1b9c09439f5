// The New note dialog: a name checked as the server and a synced folder would take it, then the note.

import { open, write } from "./editor.js";
import { checkPath, folderOf, notePathOf, pathOf } from "./note-paths.js";
import { $, page } from "./page-state.js";

export function newNote() {
  const folder = page.selected ? folderOf(pathOf(page.selected)) : "";
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
  const problem = checkPath(name) ?? (page.store.entries.get(`note:${path}`)?.heads[0].value != null ? `A note named “${path}” exists.` : null);
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

export function wireNewNoteDialog() {
  $("new-note").addEventListener("click", newNote);
  // Not a submit button: Enter in the name submits with the form's first one, which must be Create.
  $("new-cancel").addEventListener("click", () => $("new-dialog").close());
  $("new-form").addEventListener("submit", createNote);
}
