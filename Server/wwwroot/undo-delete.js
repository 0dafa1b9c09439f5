// After a delete, a notice with Undo for a while: Undo writes the text back as a new edit of the
// delete, so it works offline too and reaches every device that got the delete.

import { open, write } from "./editor.js";
import { pathOf } from "./note-paths.js";
import { $ } from "./page-state.js";

const UNDO_DELETE_MS = 10_000;   // long enough to notice a wrong click and reach the button
let offered = null;              // {key, text} of the delete that Undo takes back
let timer = 0;

/** Offers to take back the delete of `key`, whose text was `text`; the focus goes to Undo, as the Delete button is gone. */
export function offerUndo(key, text) {
  offered = { key, text };
  $("undo-text").textContent = `Deleted ${pathOf(key)}.`;
  $("undo-notice").hidden = false;
  $("undo-delete").focus();
  clearTimeout(timer);
  timer = setTimeout(withdraw, UNDO_DELETE_MS);
}

function withdraw() {
  clearTimeout(timer);
  const hadFocus = $("undo-notice").contains(document.activeElement);
  offered = null;
  $("undo-notice").hidden = true;
  if (hadFocus) $("new-note").focus();
}

async function undo() {
  if (!offered) return;
  const { key, text } = offered;
  withdraw();
  await write(key, text);
  open(key);
  $("content").focus();
}

export function wireUndoDelete() {
  $("undo-delete").addEventListener("click", undo);
}
