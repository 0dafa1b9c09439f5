// Preview: the open note rendered as Markdown, in the editor's place while the button is pressed. The
// server renders it (POST /sync/render): the page has no build step to bring a renderer in (docs/web.md,
// Markdown preview). Its answer has raw HTML escaped and only http, https, mailto and relative links, and
// the page's CSP runs no inline script besides. The editor's text is never touched: Edit brings it
// back with its cursor, and offline the preview only says it needs the server.

import { $, page } from "./page-state.js";
import { storedToken } from "./sign-in-dialog.js";
import { online } from "./version-labels.js";

const TIMEOUT_MS = 10_000;
let rendering = 0;         // answers may come back out of order: only the newest request's is shown
let shownText = null;      // the text shown, or asked for; null makes the next refresh ask again
let selection = null;      // the editor's selection when the preview opened

export const previewOpen = () => !$("preview-view").hidden;

function openPreview() {
  const content = $("content");
  selection = [content.selectionStart, content.selectionEnd, content.selectionDirection];
  $("preview").setAttribute("aria-pressed", "true");
  $("preview-view").hidden = false;
  $("editor-pane").classList.add("previewing");
  shownText = null;
  refreshPreview();
}

/** Back to the editor; `focus` puts the cursor back where it was (the person asked for Edit). */
export function closePreview(focus = false) {
  if (!previewOpen()) return;
  rendering++;
  $("preview").setAttribute("aria-pressed", "false");
  $("preview-view").hidden = true;
  $("editor-pane").classList.remove("previewing");
  $("preview-body").replaceChildren();
  if (!focus) return;
  const content = $("content");
  content.focus();
  if (selection) content.setSelectionRange(...selection);
}

/**
 * Renders the editor's text when it is not what the preview shows: another device's edit of the note
 * came, or the last try failed and the server may answer now (called after every answer of the server).
 */
export async function refreshPreview() {
  if (!previewOpen()) return;
  const text = $("content").value;
  if (text === shownText) return;
  shownText = text;
  const mine = ++rendering;
  if (!online()) { fail(mine, "Preview needs the server; you are offline. Your text is kept: Edit brings it back."); return; }
  let html;
  try {
    html = await render(text);
  } catch (error) {
    fail(mine, error.message);
    return;
  }
  if (mine !== rendering) return;
  message("");
  $("preview-body").innerHTML = html;
}

function fail(mine, text) {
  if (mine !== rendering) return;
  shownText = null;
  $("preview-body").replaceChildren();
  message(text);
}

function message(text) {
  $("preview-message").textContent = text;
  $("preview-message").hidden = text === "";
}

// The HTML of `text`, or an Error whose message is for the person.
async function render(text) {
  const url = new URL("/sync/render", location.origin);
  url.searchParams.set("device_id", page.store.deviceId);
  const headers = { "content-type": "text/markdown; charset=utf-8" };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, { method: "POST", headers, body: text, cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new Error("Preview needs the server, and it did not answer. Your text is kept: Edit brings it back.");
  }
  if (response.ok) return response.text();
  let reason = `HTTP ${response.status}`;
  try { reason = (await response.json()).message ?? reason; } catch { /* not the error object */ }
  throw new Error(`The preview could not be made: ${reason}.`);
}

export function wirePreview() {
  $("preview").addEventListener("click", () => (previewOpen() ? closePreview(true) : openPreview()));
  $("preview-view").addEventListener("keydown", e => { if (e.key === "Escape") { e.stopPropagation(); closePreview(true); } });
}
