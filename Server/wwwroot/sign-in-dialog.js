// The Sign in dialog: a token for a server with auth on, kept in localStorage for the next visit.

import { $, page } from "./page-state.js";

const TOKEN_KEY = "notesync.token";
// Closed by the person: the status keeps saying "Sign-in needed" and the top bar's Sign in reopens it,
// rather than the dialog coming back at every change of status.
let dismissed = false;

/** The token this browser signed in with, or null. */
export const storedToken = () => localStorage.getItem(TOKEN_KEY);

export const forgetToken = () => localStorage.removeItem(TOKEN_KEY);

// The server asked for a token (status "unauthorized"): the dialog opens, once, saying whether the
// stored one was refused; `asked` when the person asked for it, after closing it.
export function askForToken(asked = false) {
  if ($("token-dialog").open || (dismissed && !asked)) return;
  dismissed = false;
  const had = localStorage.getItem(TOKEN_KEY);
  $("token-error").hidden = !had;
  $("token-error").textContent = had ? `The server refused the token (${page.client.lastError?.message ?? "unauthorized"}).` : "";
  $("token").value = "";
  showToken(false);
  $("token-dialog").returnValue = "";
  $("token-dialog").showModal();
}

function saveToken(event) {
  if (event.submitter?.value !== "save") return;
  const token = $("token").value.trim();
  if (!token) { event.preventDefault(); return; }
  localStorage.setItem(TOKEN_KEY, token);
  page.client.setToken(token);
}

// A token is a password: hidden as it is typed or pasted, unless the person asks to check it.
function showToken(shown) {
  $("token").type = shown ? "text" : "password";
  $("token-show").setAttribute("aria-pressed", String(shown));
  $("token-show").textContent = shown ? "Hide" : "Show";
}

export function wireSignInDialog() {
  $("token-form").addEventListener("submit", saveToken);
  $("token-show").addEventListener("click", () => showToken($("token").type === "password"));
  // A button, not a submitter: Enter in the field must submit with Connect, the form's first submitter.
  $("token-close").addEventListener("click", () => $("token-dialog").close("cancel"));
  // Escape or "Not now": the page goes on with the notes it holds, offline.
  $("token-dialog").addEventListener("close", () => {
    if ($("token-dialog").returnValue !== "save") dismissed = true;
    $("token").value = "";
    showToken(false);
  });
}
