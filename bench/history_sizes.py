#!/usr/bin/env python3
"""The SQLite store's size after a history run (bench/run.sh, scenario history), on copies of its database.

usage: history_sizes.py <notesync.db of a stopped, compacted server, schema version 8>

Prints one JSON object: what the history table holds, where the database's bytes are, and the database
vacuumed in other forms made from the same rows, so a format is measured, not modelled:
  objects                 bytes of each table and index (SQLite's dbstat: whole pages, slack included)
  history_columns         bytes of each history column's values summed (text as UTF-8, integers as stored)
  state_only_db_bytes     history emptied (its rows and the names only it holds): the current state alone
  packed_db_bytes         each note's replaced versions (records and deltas) Deflated together in one row
The database given is only read.
"""
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import zlib


def vacuumed_size(source, tmp, name, rewrite):
    copy = os.path.join(tmp, name)
    shutil.copyfile(source, copy)
    db = sqlite3.connect(copy)
    rewrite(db)
    db.commit()
    db.execute("VACUUM")
    db.close()
    size = os.path.getsize(copy)
    os.remove(copy)
    return size


COLUMNS = ["nid", "hid", "sid", "timestamp", "did", "value", "base", "committed_at", "bytes", "head", "delta_of"]


def column_bytes(db):
    """Per history column, the bytes its values take in the record (text as UTF-8; integers by SQLite's varint-free sizes)."""
    sums = ", ".join(
        f"coalesce(sum(CASE typeof({c}) WHEN 'integer' THEN (CASE WHEN abs({c}) < 128 THEN 1 WHEN abs({c}) < 32768 THEN 2 "
        f"WHEN abs({c}) < 8388608 THEN 3 WHEN abs({c}) < 2147483648 THEN 4 WHEN abs({c}) < 140737488355328 THEN 6 ELSE 8 END) "
        f"WHEN 'null' THEN 0 ELSE length(CAST({c} AS BLOB)) END), 0)" for c in COLUMNS)
    return dict(zip(COLUMNS, db.execute(f"SELECT {sums} FROM history").fetchone()))


def state_only(db):
    db.executescript("DELETE FROM history; DELETE FROM history_notes; DELETE FROM history_names;")


def packed(db):
    packs = {}
    for row in db.execute("SELECT nid, hid, timestamp, did, value, base, committed_at, bytes, delta_of FROM history "
                          "WHERE head = 0 ORDER BY nid, hid"):
        packs.setdefault(row[0], []).append(json.dumps(row[1:]))
    db.execute("DELETE FROM history WHERE head = 0")
    db.execute("CREATE TABLE packs (note INTEGER PRIMARY KEY, versions BLOB NOT NULL)")
    db.executemany("INSERT INTO packs VALUES (?, ?)",
                   [(note, zlib.compress("\n".join(rows).encode(), 6)) for note, rows in packs.items()])


def main():
    source = sys.argv[1]
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != 8:
        sys.exit(f"history_sizes.py reads schema version 8; {source} is version {version}")
    rows, heads, text = db.execute(
        "SELECT count(*), coalesce(sum(head), 0), coalesce(sum(bytes), 0) FROM history").fetchone()
    state = db.execute("SELECT coalesce(sum(length(CAST(value AS BLOB))), 0) FROM entries").fetchone()[0]
    objects = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall())
    columns = column_bytes(db)
    db.close()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "history_rows": rows, "history_head_rows": heads, "history_text_bytes": text, "entries_text_bytes": state,
            "db_bytes": os.path.getsize(source), "objects": objects, "history_columns": columns,
            "state_only_db_bytes": vacuumed_size(source, tmp, "state.db", state_only),
            "packed_db_bytes": vacuumed_size(source, tmp, "packed.db", packed),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
