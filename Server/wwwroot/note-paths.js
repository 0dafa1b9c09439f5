// A note's key and its path, folder, name and title, and the rules a new note's name follows so that
// the server takes its key (docs/protocol.md §1) and a synced folder can hold it as a file. No DOM.

import { refusedCharacter } from "./js/notesync/protocol.js";

const MAX_KEY_BYTES = 1024;        // docs/protocol.md §1
const utf8 = new TextEncoder();

export const pathOf = key => key.slice("note:".length);
export const folderOf = path => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const nameOf = path => path.slice(path.lastIndexOf("/") + 1);
// A notesync CLI folder holds only .md and .txt files (NotePaths.HasNoteExtension: either case), so
// a note made here gets .md unless its name already says .md or .txt; then it reaches every folder.
const NOTE_EXTENSION = /\.(md|txt)$/i;
export const extensionOf = path => NOTE_EXTENSION.exec(nameOf(path))?.[0] ?? "";
export const notePathOf = name => (extensionOf(name) ? name : `${name}.md`);
// The list reads like a list of notes, not of files: "plans", not "plans.md" (the editor shows the path).
export const titleOf = path => nameOf(path).replace(/\.md$/i, "") || nameOf(path);

// The copy's name is the note's with the suffix before its extension, so it stays a note file:
// "trip/packing.md" -> "trip/packing (zz-tablet).md", then "trip/packing (zz-tablet) 2.md" if taken.
// A key with no extension (from another client) keeps none: "plans" -> "plans (zz-tablet)".
// `entries` is the replica (key -> state): a key is taken while its note is not deleted.
export function freeKey(entries, path, suffix) {
  const ext = extensionOf(path);
  const stem = path.slice(0, path.length - ext.length) + suffix;
  const taken = key => entries.has(key) && entries.get(key).heads[0].value !== null;
  let key = `note:${stem}${ext}`;
  for (let i = 2; taken(key); i++) key = `note:${stem} ${i}${ext}`;
  return key;
}

// The CLI's rule for a device id in a file name (NotePaths.SafeDevice): letters, digits, ".", "_" and
// "-" stay, the rest becomes "_", so a device id with "/" makes no folder.
export const safeDevice = id => id.replace(/[^A-Za-z0-9._-]/g, "_");

// Windows opens a device for these names, whatever follows the first dot (NotePaths.DeviceNames).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\.|$)/i;

// Checks the name as typed (in NFC already); the limit counts the key it becomes, the appended ".md" included.
export function checkPath(name) {
  if (!name) return "Give the note a name.";
  // The server refuses these in keys (docs/protocol.md §1): control, bidi and invisible characters.
  const refused = refusedCharacter(name);
  if (refused) return `A name cannot hold ${refused}.`;
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return "Folders need names: no leading, trailing or double “/”.";
  // A synced folder skips these (a backslash is a separator on Windows; dot-names are hidden files).
  if (name.includes("\\")) return "A name cannot hold “\\”; use “/” for folders.";
  if (name.split("/").some(part => part.startsWith("."))) return "A name or folder cannot start with “.”.";
  // And names Windows cannot hold, on every OS, so every folder holds the same files (docs/client.md).
  const notPortable = /[<>:"|?*]/.exec(name);
  if (notPortable) return `A name cannot hold “${notPortable[0]}”: a synced folder on Windows could not make a file of it.`;
  for (const part of notePathOf(name).split("/")) {
    if (/[. ]$/.test(part)) return "A name or folder cannot end in “.” or a space.";
    if (WINDOWS_DEVICE.test(part)) return `“${part}” is a device name on Windows: a synced folder could not make a file of it.`;
  }
  const added = notePathOf(name).slice(name.length);
  const limit = MAX_KEY_BYTES - "note:".length - added.length;
  if (utf8.encode(name).length > limit) return added ? `A name is at most ${limit} bytes (with the “${added}” added, ${limit + added.length}).` : `A name is at most ${limit} bytes.`;
  return null;
}
