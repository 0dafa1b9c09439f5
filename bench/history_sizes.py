#!/usr/bin/env python3
"""The SQLite store's size after a history run (bench/run.sh, scenario history), on copies of its database.

usage: history_sizes.py <notesync.db of a stopped, compacted server>

Prints one JSON object: what the history table holds, where the database's bytes are, and the database
vacuumed in other forms made from the same rows, so a format is measured, not modelled:
  objects                 bytes of each table and index (SQLite's dbstat: whole pages, slack included)
  history_columns         bytes of each history column's values summed (text as UTF-8, integers as stored)
  state_only_db_bytes     the history table emptied: the current state alone
  interned_db_bytes       history rows naming their note and device by a small integer (two lookup tables),
                          base given as the timestamps it names when their device is the row's own
  clustered_db_bytes      that, the rows stored by (note, hid) (WITHOUT ROWID), no version index
  packed_db_bytes         that, each note's replaced versions (records and deltas) Deflated together in one row
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
    if rewrite is not None:
        rewrite(db)
    db.commit()
    db.execute("VACUUM")
    db.close()
    size = os.path.getsize(copy)
    os.remove(copy)
    return size


COLUMNS = ["hid", "space", "key", "timestamp", "device_id", "value", "base", "committed_at", "bytes", "head", "delta_of"]


def column_bytes(db):
    """Per history column, the bytes its values take in the record (text as UTF-8; integers by SQLite's varint-free sizes)."""
    sums = ", ".join(
        f"coalesce(sum(CASE typeof({c}) WHEN 'integer' THEN (CASE WHEN abs({c}) < 128 THEN 1 WHEN abs({c}) < 32768 THEN 2 "
        f"WHEN abs({c}) < 8388608 THEN 3 WHEN abs({c}) < 2147483648 THEN 4 WHEN abs({c}) < 140737488355328 THEN 6 ELSE 8 END) "
        f"WHEN 'null' THEN 0 ELSE length(CAST({c} AS BLOB)) END), 0)" for c in COLUMNS)
    return dict(zip(COLUMNS, db.execute(f"SELECT {sums} FROM history").fetchone()))


def compact_base(device, base):
    """The base column naming the row's own device by timestamp alone: "t1,t2" or, for another device's version, "t device"."""
    if base is None:
        return None
    return ";".join(str(t) if d == device else f"{t} {d}" for d, t in json.loads(base))


def interned(db):
    db.executescript("""
        CREATE TABLE notes (id INTEGER PRIMARY KEY, space TEXT NOT NULL, key TEXT NOT NULL, UNIQUE (space, key));
        CREATE TABLE devices (id INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE);
        INSERT INTO notes (space, key) SELECT DISTINCT space, key FROM history;
        INSERT INTO devices (device_id) SELECT DISTINCT device_id FROM history;
        CREATE TABLE h2 (hid INTEGER PRIMARY KEY, note INTEGER NOT NULL, timestamp INTEGER NOT NULL, device INTEGER NOT NULL,
            value TEXT NULL, base TEXT NULL, committed_at INTEGER NOT NULL, bytes INTEGER NOT NULL, head INTEGER NOT NULL,
            delta_of INTEGER NULL);
        """)
    db.create_function("compact_base", 2, compact_base)
    db.executescript("""
        INSERT INTO h2 SELECT h.hid, n.id, h.timestamp, d.id, h.value, compact_base(h.device_id, h.base), h.committed_at, h.bytes,
            h.head, h.delta_of FROM history h JOIN notes n ON n.space = h.space AND n.key = h.key JOIN devices d ON d.device_id = h.device_id;
        DROP TABLE history;
        CREATE UNIQUE INDEX h2_version ON h2 (note, timestamp, device);
        CREATE INDEX h2_old ON h2 (hid) WHERE head = 0;
        CREATE INDEX h2_trash ON h2 (hid) WHERE head = 1 AND value IS NULL;
        """)


def clustered(db):
    interned(db)
    db.executescript("""
        CREATE TABLE h3 (note INTEGER NOT NULL, hid INTEGER NOT NULL, timestamp INTEGER NOT NULL, device INTEGER NOT NULL,
            value TEXT NULL, base TEXT NULL, committed_at INTEGER NOT NULL, bytes INTEGER NOT NULL, head INTEGER NOT NULL,
            delta_of INTEGER NULL, PRIMARY KEY (note, hid)) WITHOUT ROWID;
        INSERT INTO h3 SELECT note, hid, timestamp, device, value, base, committed_at, bytes, head, delta_of FROM h2;
        DROP TABLE h2;
        CREATE INDEX h3_old ON h3 (hid) WHERE head = 0;
        """)


def packed(db):
    interned(db)
    packs = {}
    for row in db.execute("SELECT note, hid, timestamp, device, value, base, committed_at, bytes, delta_of FROM h2 "
                          "WHERE head = 0 ORDER BY note, hid"):
        packs.setdefault(row[0], []).append(json.dumps(row[1:]))
    db.execute("DELETE FROM h2 WHERE head = 0")
    db.execute("CREATE TABLE packs (note INTEGER PRIMARY KEY, versions BLOB NOT NULL)")
    db.executemany("INSERT INTO packs VALUES (?, ?)",
                   [(note, zlib.compress("\n".join(rows).encode(), 6)) for note, rows in packs.items()])


def main():
    source = sys.argv[1]
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
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
            "state_only_db_bytes": vacuumed_size(source, tmp, "state.db", lambda d: d.execute("DELETE FROM history")),
            "interned_db_bytes": vacuumed_size(source, tmp, "interned.db", interned),
            "clustered_db_bytes": vacuumed_size(source, tmp, "clustered.db", clustered),
            "packed_db_bytes": vacuumed_size(source, tmp, "packed.db", packed),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
