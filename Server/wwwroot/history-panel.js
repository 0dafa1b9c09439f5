// The open note's history: its versions as the server keeps them (docs/protocol.md §4.13), one
// version's text or its changes against the editor's text, and Restore, which writes that text as an
// ordinary edit of the note's current heads. The history lives on the server, so this works online only.

import { flushEditor, write } from "./editor.js";
import { lineDiff } from "./line-diff.js";
import { $, page } from "./page-state.js";
import { deviceLabel, failureText, online, sizeLabel, whenLabel } from "./version-labels.js";

// Answers come back after the person may have moved on: each request remembers which opening it is for.
let opening = 0;
let chosen = null;          // {version, value} of the version shown in the detail
let showDiff = true;
let listing = 0;            // list answers may come back out of order: only the newest is shown
let listedWithUnsent = false;  // the note had an unsent edit when the list was read
let reloadTimer = null;
const RELOAD_DELAY_MS = 250;

export const historyOpen = () => !$("history-panel").hidden;

export async function openHistory() {
  const mine = ++opening;
  $("history-panel").hidden = false;
  $("editor-pane").classList.add("history-open");
  $("history").setAttribute("aria-expanded", "true");
  $("history-list").replaceChildren();
  $("history-detail").hidden = true;
  chosen = null;
  $("history-title").focus();
  if (!online()) { message("The history is kept on the server: it can be seen when this browser is online."); return; }
  message("Loading the history…");
  await loadList(mine);
}

// The list is the server's, so it changes when the open note does: another device's edit arrives, or
// this page's own edit, unsent when the list was read, is acknowledged. Called after every answer
// (app.js); bursts of changes make one reload.
export function historyNoteChanged(keys) {
  if (!historyOpen() || !online()) return;
  const key = page.selected;
  const sent = listedWithUnsent && !page.store.outbox.has(key);
  if (!keys.includes(key) && !sent) return;
  listedWithUnsent = false;
  clearTimeout(reloadTimer);
  const mine = opening;
  reloadTimer = setTimeout(() => { if (mine === opening) loadList(mine); }, RELOAD_DELAY_MS);
}

async function loadList(mine) {
  const key = page.selected;
  const request = ++listing;
  listedWithUnsent = page.store.outbox.has(key);
  let versions;
  try {
    versions = await page.client.history(key);
  } catch (error) {
    if (mine === opening && request === listing) message(failureText("The history", error));
    return;
  }
  if (mine !== opening || request !== listing) return;
  message(versions.length === 0 ? "The server holds no history of this note yet." : "");
  // A reload keeps the chosen version marked and the focus where it was.
  const list = $("history-list");
  const marked = list.querySelector(".history-version[aria-current=true]");
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  list.replaceChildren(...versions.map(v => versionItem(key, v, mine)));
  const buttons = [...list.querySelectorAll(".history-version")];
  const same = b => c => c.dataset.timestamp === b.dataset.timestamp && c.dataset.device === b.dataset.device;
  if (marked) buttons.find(same(marked))?.setAttribute("aria-current", "true");
  if (focused) buttons.find(same(focused))?.focus();
}

export function closeHistory() {
  if (!historyOpen()) return;
  opening++;
  $("history-panel").hidden = true;
  $("editor-pane").classList.remove("history-open");
  $("history").setAttribute("aria-expanded", "false");
  if ($("history-panel").contains(document.activeElement) || document.activeElement === document.body) $("history").focus();
}

function message(text) {
  $("history-message").textContent = text;
  $("history-message").hidden = text === "";
}

function versionItem(key, v, mine) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.className = "history-version";
  button.dataset.timestamp = v.timestamp;
  button.dataset.device = v.device_id;
  const when = document.createElement("span");
  when.className = "history-when";
  when.textContent = whenLabel(v.committed_at);
  const who = document.createElement("span");
  who.className = "muted";
  who.textContent = `${deviceLabel(v.device_id)} · ${v.deleted ? "deleted" : sizeLabel(v.bytes)}`;
  button.append(when, who);
  if (v.deleted) button.append(mark("deleted", "deleted"));
  if (v.head) button.append(mark("current", "current"));
  button.addEventListener("click", () => choose(key, v, button, mine));
  item.append(button);
  return item;
}

function mark(text, kind) {
  const m = document.createElement("span");
  m.className = `badge ${kind}`;
  m.textContent = text;
  return m;
}

async function choose(key, v, button, mine) {
  for (const b of $("history-list").querySelectorAll(".history-version")) b.removeAttribute("aria-current");
  button.setAttribute("aria-current", "true");
  let answer;
  try {
    answer = await page.client.version(key, v.timestamp, v.device_id);
  } catch (error) {
    if (mine === opening) message(failureText("This version", error));
    return;
  }
  if (mine !== opening) return;
  message("");
  chosen = answer;
  $("history-detail").hidden = false;
  $("history-detail-title").textContent = `${whenLabel(v.committed_at)}, ${deviceLabel(v.device_id)}`;
  $("history-restore").disabled = answer.value === null;
  $("history-restore").textContent = answer.value === null ? "A delete: nothing to restore" : "Restore this version";
  renderDetail();
}

function renderDetail() {
  $("history-show-diff").setAttribute("aria-pressed", String(showDiff));
  $("history-show-text").setAttribute("aria-pressed", String(!showDiff));
  $("history-diff-legend").hidden = !showDiff;
  const view = $("history-view");
  if (!showDiff || chosen.value === null) {
    view.textContent = chosen.value ?? "(deleted)";
    return;
  }
  // From the current text to this version: what a restore would take out and bring back.
  const lines = lineDiff($("content").value, chosen.value).map(({ op, line }) => {
    const row = document.createElement("span");
    row.className = `diff-${op}`;
    row.textContent = `${op === "add" ? "+" : op === "del" ? "−" : " "} ${line}\n`;
    return row;
  });
  view.replaceChildren(...lines);
}

async function restore() {
  if (!chosen || chosen.value === null) return;
  const key = page.selected;
  const { version, value } = chosen;
  // Text being typed is saved first, so it is a version of its own that could be restored in turn.
  await flushEditor();
  page.dirty = false;
  page.mergeMode = false;
  await write(key, value);
  // The restore is unsent until its answer comes (never before this line: the push leaves after write
  // returns): the list reloads then, with the restore as its newest version.
  listedWithUnsent = page.store.outbox.has(key);
  message(`Restored the version of ${whenLabel(version.committed_at)}: it is the note's text again, as a new version.`);
  renderDetail();
}

export function wireHistoryPanel() {
  $("history").addEventListener("click", () => (historyOpen() ? closeHistory() : openHistory()));
  $("history-close").addEventListener("click", closeHistory);
  $("history-panel").addEventListener("keydown", e => { if (e.key === "Escape") { e.stopPropagation(); closeHistory(); } });
  $("history-show-diff").addEventListener("click", () => { showDiff = true; renderDetail(); });
  $("history-show-text").addEventListener("click", () => { showDiff = false; renderDetail(); });
  $("history-restore").addEventListener("click", restore);
}
