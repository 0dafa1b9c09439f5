// The status in the top bar (connection, unsent count) and the notices under it: a reset being put
// back, and edits the server has no room for.

import { renderAccount } from "./account.js";
import { queueRender } from "./note-list.js";
import { renderSaveState } from "./editor.js";
import { $, page } from "./page-state.js";
import { askForToken } from "./sign-in-dialog.js";

const STATUS_TEXT = {
  connected: "Connected", syncing: "Syncing…", polling: "Connected (polling)", connecting: "Connecting…",
  offline: "Offline", unauthorized: "Sign-in needed", forbidden: "Not allowed",
};

let shownUnsent = 0;
const RESET_NOTICE_MS = 30_000;    // how long "re-uploaded" stays once the re-upload is over
let dismissedReset = null;         // the lastReset the user hid
let resetTimer = 0;

const notes = n => (n === 1 ? "1 note" : `${n} notes`);

// A brief line under the top bar while the server's lost history is read again and put back, so a
// burst of "unsent" and "syncing" after a restore has a reason the user can read. Not modal: the
// page works on throughout.
export function renderReset() {
  const notice = $("reset-notice");
  const reset = page.store.reset;
  let state = null;
  let text = "";
  let count = 0;
  if (reset?.phase === "reading") {
    state = "reading";
    text = "Server restored from a backup: checking which notes it lost…";
  } else if (reset?.phase === "reuploading") {
    state = "reuploading";
    count = reset.keys.length;
    const left = reset.keys.filter(key => page.store.outbox.has(key) && !page.store.outbox.get(key).rejected).length;
    text = `Server restored from a backup: re-uploading ${notes(count)}${left < count ? ` (${left} to go)` : ""}`;
  } else if (page.store.lastReset && page.store.lastReset !== dismissedReset && Date.now() - page.store.lastReset.at < RESET_NOTICE_MS) {
    state = "done";
    count = page.store.lastReset.keys;
    text = count > 0
      ? `Server restored from a backup: ${notes(count)} from this browser put back.`
      : "Server restored from a backup: it lost nothing this browser holds.";
    clearTimeout(resetTimer);
    resetTimer = setTimeout(renderReset, RESET_NOTICE_MS - (Date.now() - page.store.lastReset.at));
  }
  notice.hidden = state === null;
  notice.dataset.state = state ?? "";
  notice.dataset.count = count;
  $("reset-dismiss").hidden = state !== "done";
  if ($("reset-text").textContent !== text) $("reset-text").textContent = text;
}

// While the server refuses the outbox for want of room in the space (quota_exceeded), its reason stays
// in a line under the top bar: the edits are safe here, and only the person can make room.
function renderQuota() {
  const refusal = page.client?.refusal;
  const notice = $("quota-notice");
  notice.hidden = !refusal;
  const text = refusal ? `The server has no room for your edits: ${refusal.message}. They are kept in this browser and sent once there is room.` : "";
  if (notice.textContent !== text) notice.textContent = text;
}

export function renderStatus(status) {
  renderReset();
  renderQuota();
  const unsent = page.store.outbox.size;
  // An acknowledgement changes no note, only its "unsent" badge.
  if (unsent !== shownUnsent) { shownUnsent = unsent; queueRender(); }
  $("status").dataset.state = status;
  $("status-text").textContent = STATUS_TEXT[status] ?? status;
  $("status").title = page.client?.lastError ? `${page.client.lastError.code}: ${page.client.lastError.message}` : "";
  $("unsent").hidden = unsent === 0;
  $("unsent").dataset.count = unsent;
  $("unsent").textContent = `${unsent} unsent`;
  if (page.selected) renderSaveState();
  renderAccount(status);
  if (status === "unauthorized") askForToken();
}

export function wireNotices() {
  $("reset-dismiss").addEventListener("click", () => { dismissedReset = page.store.lastReset; renderReset(); });
}
