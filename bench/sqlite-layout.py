#!/usr/bin/env python3
"""Group commits of the steady fan-out against two layouts of SQLite's `events` table.

    bench/sqlite-layout.py norowid|rowid COMMITS [--dir D]

`norowid` is Cabildo's table (WITHOUT ROWID, keyed by workshop and seq): each record,
~490 bytes, is stored whole in the key, interior pages included. `rowid` is the same
columns in a rowid table with its (workshop, seq) key as a unique index. Both beside the
`commands` table as it is. After 21,000 posts written unsynced, it times COMMITS commits of
3 posts each among 10 workshops with `synchronous=FULL` in WAL mode, and prints the WAL
frames written per commit (from the WAL's growth, checkpoints off) and the process's CPU
and wall time per commit (docs/benchmarks/issue-19.md).
"""
import argparse
import os
import random
import resource
import sqlite3
import tempfile
import time
import uuid

EVENTS = {
    "norowid": """CREATE TABLE events (workshop_id TEXT NOT NULL REFERENCES workshops(id),
        seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT, body TEXT NOT NULL,
        PRIMARY KEY (workshop_id, seq)) WITHOUT ROWID""",
    "rowid": """CREATE TABLE events (workshop_id TEXT NOT NULL REFERENCES workshops(id),
        seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT, body TEXT NOT NULL,
        PRIMARY KEY (workshop_id, seq))""",
}
COMMANDS = """CREATE TABLE commands (workshop_id TEXT NOT NULL REFERENCES workshops(id),
    seq INTEGER NOT NULL, participant_id TEXT NOT NULL, command_id TEXT NOT NULL,
    error_code TEXT, error_message TEXT, error_version INTEGER,
    PRIMARY KEY (workshop_id, seq, participant_id, command_id)) WITHOUT ROWID"""
AUTHOR = "72893e34-396a-4bd7-9148-b5ec4aa04255"
BODY = ('{"type":"card_posted","card":"%s","room":"68facb11-a1f2-4119-8a53-41a36c804cfa",'
        '"column":"strengths","text":"23:0:1796503395718148 ' + "x" * 280 + '","author":"'
        + AUTHOR + '"}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("layout", choices=sorted(EVENTS))
    ap.add_argument("commits", type=int)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        path = os.path.join(d, "layout.db")
        c = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=OFF", "temp_store=MEMORY",
                       "wal_autocheckpoint=0", "foreign_keys=ON"):
            c.execute(f"PRAGMA {pragma}")
        c.execute("CREATE TABLE workshops (id TEXT PRIMARY KEY NOT NULL)")
        c.execute(EVENTS[args.layout])
        c.execute(COMMANDS)
        workshops = [str(uuid.uuid4()) for _ in range(10)]
        for w in workshops:
            c.execute("INSERT INTO workshops VALUES (?)", (w,))
        seq = dict.fromkeys(workshops, 0)
        random.seed(1)

        def commit(posts):
            c.execute("BEGIN IMMEDIATE")
            for _ in range(posts):
                w = random.choice(workshops)
                seq[w] += 1
                c.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                          (w, seq[w], 0, AUTHOR, BODY % uuid.uuid4()))
                c.execute("INSERT INTO commands VALUES (?, ?, ?, ?, NULL, NULL, NULL)",
                          (w, seq[w], AUTHOR, str(seq[w])))
            c.execute("COMMIT")

        for _ in range(7000):
            commit(3)
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.execute("PRAGMA synchronous=FULL")
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        for _ in range(args.commits):
            commit(3)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_SELF)
        frames = (os.path.getsize(path + "-wal") - 32) / (4096 + 24)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        c.close()
    n = args.commits
    print(f"{args.layout}: {frames / n:.2f} WAL frames, {cpu / n * 1e6:.0f} µs CPU, "
          f"{wall / n * 1e6:.0f} µs wall per commit")


if __name__ == "__main__":
    main()
