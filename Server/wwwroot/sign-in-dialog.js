// The Sign in dialog: a token for a server with auth on, kept in localStorage for the next visit.

import { $, page } from "./page-state.js";

const TOKEN_KEY = "notesync.token";

/** The token this browser signed in with, or null. */
export const storedToken = () => localStorage.getItem(TOKEN_KEY);

// The server asked for a token (status "unauthorized"): the dialog opens, once, saying whether the
// stored one was refused.
export function askForToken() {
  if ($("token-dialog").open) return;
  const had = localStorage.getItem(TOKEN_KEY);
  $("token-error").hidden = !had;
  $("token-error").textContent = had ? `The server refused the token (${page.client.lastError?.message ?? "unauthorized"}).` : "";
  $("token").value = "";
  $("token-dialog").showModal();
}

function saveToken(event) {
  const token = $("token").value.trim();
  if (!token) { event.preventDefault(); return; }
  localStorage.setItem(TOKEN_KEY, token);
  page.client.setToken(token);
}

export function wireSignInDialog() {
  $("token-form").addEventListener("submit", saveToken);
  $("token-dialog").addEventListener("cancel", e => e.preventDefault());
}
