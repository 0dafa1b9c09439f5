// The trash: the space's deleted notes as the server lists them (docs/protocol.md §4.13), when and by
// which device each was deleted, and its last text. Restore writes that text as an edit of the delete,
// so the note comes back on every device. The trash lives on the server: online only.

import { open, write } from "./editor.js";
import { pathOf } from "./note-paths.js";
import { $, page } from "./page-state.js";
import { deviceLabel, failureText, online, whenLabel } from "./version-labels.js";

let opening = 0;

async function openTrash() {
  const mine = ++opening;
  $("trash-list").replaceChildren();
  $("trash-dialog").showModal();
  if (!online()) { message("The trash is kept on the server: it can be seen when this browser is online."); return; }
  message("Loading the trash…");
  let notes;
  try {
    notes = await page.client.trash();
  } catch (error) {
    if (mine === opening) message(failureText("The trash", error));
    return;
  }
  if (mine !== opening) return;
  message(notes.length === 0 ? "The trash is empty." : "");
  $("trash-list").replaceChildren(...notes.map(trashItem));
}

function message(text) {
  $("trash-message").textContent = text;
  $("trash-message").hidden = text === "";
}

function trashItem(note) {
  const item = document.createElement("li");
  item.className = "trash-note";
  item.dataset.key = note.key;
  const name = document.createElement("strong");
  name.textContent = pathOf(note.key);
  const when = document.createElement("span");
  when.className = "muted";
  when.textContent = `deleted ${whenLabel(note.deleted_at)} by ${deviceLabel(note.deleted.device_id)}`;
  const text = document.createElement("pre");
  text.textContent = note.last?.value ?? "(no earlier text is kept)";
  const restore = document.createElement("button");
  restore.className = "trash-restore primary";
  restore.textContent = "Restore";
  restore.setAttribute("aria-label", `Restore ${pathOf(note.key)}`);
  restore.disabled = note.last?.value == null;
  restore.addEventListener("click", async () => {
    await write(note.key, note.last.value);
    $("trash-dialog").close();
    open(note.key);
    $("content").focus();
  });
  item.append(name, when, text, restore);
  return item;
}

export function wireTrashView() {
  $("open-trash").addEventListener("click", openTrash);
  $("trash-close").addEventListener("click", () => $("trash-dialog").close());
  $("trash-dialog").addEventListener("close", () => { opening++; });
}
