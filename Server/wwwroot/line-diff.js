// A line diff of two texts by longest common subsequence, for showing a past version beside the
// current one. No DOM.

// Past this many cells of the LCS table (after the common ends are cut off) the diff would cost
// seconds and megabytes in the page: the middle is then shown as all removed and all added.
const MAX_CELLS = 4_000_000;

/**
 * The lines of `before` and `after` in order, each {op, line}: op "same" (in both), "del" (only in
 * `before`) or "add" (only in `after`).
 */
export function lineDiff(before, after) {
  // An empty text has no lines, rather than one empty line.
  const a = before === "" ? [] : before.split("\n");
  const b = after === "" ? [] : after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const same = line => ({ op: "same", line });
  return [...a.slice(0, start).map(same), ...middle(a.slice(start, endA), b.slice(start, endB)), ...a.slice(endA).map(same)];
}

function middle(a, b) {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    return [...a.map(line => ({ op: "del", line })), ...b.map(line => ({ op: "add", line }))];
  }
  // lcs[i * (m + 1) + j]: the length of the longest common subsequence of a[i..] and b[j..].
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: "same", line: a[i] }); i++; j++; }
    else if (lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) out.push({ op: "del", line: a[i++] });
    else out.push({ op: "add", line: b[j++] });
  }
  while (i < n) out.push({ op: "del", line: a[i++] });
  while (j < m) out.push({ op: "add", line: b[j++] });
  return out;
}
