// After a delete, a notice with Undo for a while: Undo writes the text back as a new edit of the
// delete, so it works offline too and reaches every device that got the delete.

import { open, write } from "./editor.js";
import { pathOf } from "./note-paths.js";
import { $ } from "./page-state.js";

const UNDO_DELETE_MS = 10_000;   // long enough to notice a wrong click and reach the button
let offered = null;              // {key, text, neighbour} of the delete that Undo takes back
let timer = 0;

/**
 * Offers to take back the delete of `key`, whose text was `text`; the focus goes to Undo, as the Delete
 * button is gone, and from there to the `neighbour` note in the list when the offer ends.
 */
export function offerUndo(key, text, neighbour = null) {
  offered = { key, text, neighbour };
  $("undo-text").textContent = `Deleted ${pathOf(key)}.`;
  $("undo-notice").hidden = false;
  $("undo-delete").focus();
  clearTimeout(timer);
  timer = setTimeout(withdraw, UNDO_DELETE_MS);
}

function withdraw() {
  clearTimeout(timer);
  const hadFocus = $("undo-notice").contains(document.activeElement);
  const neighbour = offered?.neighbour;
  offered = null;
  $("undo-notice").hidden = true;
  if (!hadFocus) return;
  const next = neighbour && document.querySelector(`.note-item[data-key="${CSS.escape(neighbour)}"]`);
  (next ?? $("new-note")).focus();
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
  // Escape declines the offer at once rather than waiting it out with the focus on Undo.
  $("undo-notice").addEventListener("keydown", e => { if (e.key === "Escape") withdraw(); });
}
