// Who the page syncs as, in the top bar: the space (from the token, or "default" on a server without
// auth) and this browser's device id; Sign in after the dialog was closed, and Sign out.
// Signing out forgets the token and deletes this browser's copy of the space (replica, outbox, device
// id): the next sign-in may be another space, which must not receive this one's notes. Edits the server
// has not acknowledged would go with it, so the page says so first.

import { flushEditor } from "./editor.js";
import { $, page } from "./page-state.js";
import { askForToken, forgetToken, storedToken } from "./sign-in-dialog.js";

const SYNCING = new Set(["connected", "syncing", "polling"]);

// The token's space claim, for display only: the server reads it from the validated token itself.
export function spaceOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(payload), c => c.charCodeAt(0));
    const { space } = JSON.parse(new TextDecoder().decode(bytes));
    return typeof space === "string" ? space : null;
  } catch {
    return null;
  }
}

export function renderAccount(status) {
  const token = storedToken();
  // Without a token, a server that answers has auth off: every device is in the space "default".
  const space = token ? spaceOf(token) : SYNCING.has(status) ? "default" : null;
  $("space-label").hidden = space === null;
  $("space").textContent = space ?? "";
  $("device").textContent = page.store.deviceId;
  $("sign-in").hidden = status !== "unauthorized";
  $("sign-out").hidden = !token;
}

async function signOut() {
  await flushEditor();
  const unsent = page.store.outbox.size;
  if (unsent === 0) { await forget(); return; }
  const edits = unsent === 1 ? "1 note has an edit" : `${unsent} notes have edits`;
  $("sign-out-text").textContent = `${edits} that the server has not received yet. Signing out deletes this browser's copy of the notes, and those edits with it. Stay signed in until the top bar shows nothing unsent to keep them.`;
  $("sign-out-dialog").returnValue = "";
  $("sign-out-dialog").showModal();
}

async function forget() {
  page.client.stop();
  forgetToken();
  await page.store.erase();
  location.reload();
}

export function wireAccount() {
  $("sign-in").addEventListener("click", () => askForToken(true));
  $("sign-out").addEventListener("click", signOut);
  $("sign-out-dialog").addEventListener("close", () => {
    if ($("sign-out-dialog").returnValue === "sign-out") forget();
    else $("sign-out").focus();
  });
}
