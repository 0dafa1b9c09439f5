// How the history, the trash and the merged mark name a version's writer, time and size for people.

import { page } from "./page-state.js";

/** A device id, with this browser's own named as such. */
export const deviceLabel = id => (id === page.store.deviceId ? "this browser" : id);

/** Wall-clock time (Unix ms) in the browser's locale and time zone. */
export const whenLabel = ms => new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/** UTF-8 bytes as a size. */
export function sizeLabel(bytes) {
  if (bytes < 1024) return bytes === 1 ? "1 byte" : `${bytes} bytes`;
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** True while the server can be asked: the history and the trash live there. */
export const online = () => navigator.onLine !== false && page.client?.transport !== "none";

/** What a refused or unanswered history request means for the person. */
export const failureText = (what, error) =>
  error.code === "offline" ? `${what} needs a connection to the server, and it did not answer.` : `${what} could not be read: ${error.message}`;
