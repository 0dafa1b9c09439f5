#!/usr/bin/env python3
"""The SQLite store's size after a history run (bench/run.sh, scenario history), on copies of its database.

usage: history_sizes.py <notesync.db of a stopped, compacted server>

Prints one JSON object: what the history table holds, and the database vacuumed in three other forms
made from the same rows, so the store's format is measured, not modelled:
  state_only_db_bytes     the history table emptied: the current state alone
  line_delta_db_bytes     every replaced version's text replaced by a line delta from the next newer
                          version of its note (the differing stretch of lines, as a reverse delta)
  deflate_db_bytes        every replaced version's text Deflated alone (zlib level 6), as a BLOB
Heads keep their text in every form. The database given is only read.
"""
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import zlib


def line_delta(older, newer):
    a, b = older.split("\n"), newer.split("\n")
    prefix = 0
    while prefix < len(a) and prefix < len(b) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < len(a) - prefix and suffix < len(b) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return f"{prefix},{suffix}\n" + "\n".join(a[prefix:len(a) - suffix])


def vacuumed_size(source, tmp, name, rewrite):
    copy = os.path.join(tmp, name)
    shutil.copyfile(source, copy)
    db = sqlite3.connect(copy)
    if rewrite is not None:
        rewrite(db)
    db.commit()
    db.execute("VACUUM")
    db.close()
    size = os.path.getsize(copy)
    os.remove(copy)
    return size


def replaced_versions(db):
    """(hid, new value) of every non-head text version, the newer version of its note being the next by hid."""
    rows = db.execute("SELECT hid, space, key, value, head FROM history ORDER BY space, key, hid").fetchall()
    for (hid, space, key, value, head), nxt in zip(rows, rows[1:] + [None]):
        if head or value is None or nxt is None or (nxt[1], nxt[2]) != (space, key) or nxt[3] is None:
            continue
        yield hid, value, nxt[3]


def as_deltas(db):
    db.executemany("UPDATE history SET value = ? WHERE hid = ?",
                   [(line_delta(value, newer), hid) for hid, value, newer in list(replaced_versions(db))])


def as_deflate(db):
    db.executemany("UPDATE history SET value = ? WHERE hid = ?",
                   [(zlib.compress(value.encode(), 6), hid) for hid, value, _ in list(replaced_versions(db))])


def main():
    source = sys.argv[1]
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    rows, heads, text = db.execute(
        "SELECT count(*), coalesce(sum(head), 0), coalesce(sum(bytes), 0) FROM history").fetchone()
    state = db.execute("SELECT coalesce(sum(length(CAST(value AS BLOB))), 0) FROM entries").fetchone()[0]
    db.close()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "history_rows": rows, "history_head_rows": heads, "history_text_bytes": text, "entries_text_bytes": state,
            "db_bytes": os.path.getsize(source),
            "state_only_db_bytes": vacuumed_size(source, tmp, "state.db", lambda d: d.execute("DELETE FROM history")),
            "line_delta_db_bytes": vacuumed_size(source, tmp, "delta.db", as_deltas),
            "deflate_db_bytes": vacuumed_size(source, tmp, "deflate.db", as_deflate),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
