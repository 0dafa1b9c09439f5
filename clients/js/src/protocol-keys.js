// The key rule of docs/protocol.md §1.3, as the server checks it: part of the reference JavaScript
// client (protocol.js re-exports it), so a page or a tool never makes a key the server would refuse.
// No dependency: no DOM, no storage.

const utf8 = new TextEncoder();

// The code points a key must not hold: the list of Shared/Protocol/KeyCharacters.cs, sorted, as
// [first, last, what]. Fixed code points rather than Unicode categories, so the page, the .NET client
// and the server draw the same line whatever Unicode version each runs on.
const CONTROL = "a control character", BIDI = "a bidirectional control", INVISIBLE = "an invisible character";
const REFUSED = [
  [0x0000, 0x001f, CONTROL], [0x007f, 0x009f, CONTROL], [0x00ad, 0x00ad, INVISIBLE], [0x034f, 0x034f, INVISIBLE],
  [0x061c, 0x061c, BIDI], [0x115f, 0x1160, INVISIBLE], [0x17b4, 0x17b5, INVISIBLE], [0x180e, 0x180e, INVISIBLE],
  [0x200b, 0x200d, INVISIBLE], [0x200e, 0x200f, BIDI], [0x2028, 0x2029, "a line or paragraph separator"],
  [0x202a, 0x202e, BIDI], [0x2060, 0x2065, INVISIBLE], [0x2066, 0x2069, BIDI], [0x206a, 0x206f, INVISIBLE],
  [0x3164, 0x3164, INVISIBLE], [0xfdd0, 0xfdef, "a noncharacter"], [0xfeff, 0xfeff, INVISIBLE],
  [0xffa0, 0xffa0, INVISIBLE], [0xfff0, 0xfff8, INVISIBLE], [0x1bca0, 0x1bca3, INVISIBLE],
  [0x1d173, 0x1d17a, INVISIBLE], [0xe0000, 0xe00ff, INVISIBLE], [0xe01f0, 0xe0fff, INVISIBLE],
];

/** What `codePoint` is when a key must not hold it ("a control character", ...), or null. */
export function refusedKind(codePoint) {
  if ((codePoint & 0xfffe) === 0xfffe) return "a noncharacter";   // U+FFFE and U+FFFF of every plane
  for (const [first, last, what] of REFUSED) {
    if (codePoint < first) return null;
    if (codePoint <= last) return what;
  }
  return null;
}

/** The first character of `text` a key must not hold, named as the server names it ("U+001B (a control character)"), or null. */
export function refusedCharacter(text) {
  const codePoints = Array.from(text, (ch) => ch.codePointAt(0));
  for (let i = 0; i < codePoints.length; i++) {
    const codePoint = codePoints[i];
    const what = refusedKind(codePoint);
    if (what && !isJoinerBetweenLetters(codePoint, codePoints[i - 1] ?? 0, codePoints[i + 1] ?? 0)) {
      return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")} (${what})`;
    }
  }
  return null;
}

/**
 * A zero-width joiner or non-joiner between two characters outside ASCII, neither a joiner: there it
 * shapes what it joins (woman, U+200D, laptop; Persian and Indic spellings), so it is allowed.
 */
export function isJoinerBetweenLetters(codePoint, previous, next) {
  const joiner = (c) => c === 0x200c || c === 0x200d;
  return joiner(codePoint) && previous >= 0x80 && !joiner(previous) && next >= 0x80 && !joiner(next);
}

/**
 * Why the server would refuse `key`, in its words after "changes[i].key" ("must not contain U+001B
 * (a control character)", "must be in Unicode normalization form C"), or null when it takes it.
 * Normalize a name with `name.normalize("NFC")` before making it a key.
 */
export function keyProblem(key, maxKeyBytes = 1024) {
  if (typeof key !== "string") return "must be a string";
  if (!key.startsWith("note:") || key.length === "note:".length) return "must be 'note:<path>' with a non-empty path";
  if (/\p{Surrogate}/u.test(key)) return "must be valid Unicode text";   // with the u flag only unpaired ones match
  if (utf8.encode(key).length > maxKeyBytes) return `must be at most ${maxKeyBytes} UTF-8 bytes`;
  const refused = refusedCharacter(key);
  if (refused) return `must not contain ${refused}`;
  if (key.normalize("NFC") !== key) return "must be in Unicode normalization form C";
  return null;
}
