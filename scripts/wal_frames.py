#!/usr/bin/env python3
"""WAL frames an event: the pages SQLite writes to its WAL per event stored.

Replays the event write path of `RecordEvent` (the event's row, the
commit's chain link (a link per event before migration 0038) and the head's
move, the recompute queue's upsert and the event count;
storage/event_batch.rs, storage/chain.rs) on the schema of
migrations/sqlite, in commits of 60 events spread over 1,000 employees, as
the writer groups them under the benchmark's load. The recompute's delete
of the queue rows follows each commit. A page changed in a commit is one
frame, whatever the machine's speed: the ids come from a seeded generator,
so the count depends only on the schema and on the SQLite library (Python's
own, printed with the result; the server bundles its own version).

    python3 scripts/wal_frames.py                 # every migration
    python3 scripts/wal_frames.py --before 0036   # the schema before 0036
    python3 scripts/wal_frames.py --before 0038   # a link per event

Seeding 300,000 events takes about a minute.
"""
import argparse
import glob
import json
import os
import random
import shutil
import sqlite3
import tempfile
import uuid

EMPLOYEES = 1000
SEED_COMMITS, SEED_SIZE = 2000, 150
COMMITS, SIZE = 200, 60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="apply only migrations numbered below this")
    ap.add_argument("--migrations", default="migrations/sqlite")
    args = ap.parse_args()
    folder = tempfile.mkdtemp()
    try:
        measure(args, os.path.join(folder, "wal.db"))
    finally:
        shutil.rmtree(folder)


def measure(args, path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    for f in sorted(glob.glob(os.path.join(args.migrations, "*.sql"))):
        if args.before and os.path.basename(f) >= args.before:
            break
        with open(f) as sql:
            db.executescript(sql.read())
    rnd = random.Random(1)

    def new_id():
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

    org = new_id()
    db.execute("INSERT INTO organisations (id, name, created_at) VALUES (?, 'o', 0)", (org,))
    db.execute("INSERT INTO record_chain_heads (organisation_id, seq, hash) VALUES (?, 0, ?) "
               "ON CONFLICT DO NOTHING", (org, "00" * 32))
    emps = [new_id() for _ in range(EMPLOYEES)]
    db.execute("BEGIN")
    for i, e in enumerate(emps):
        db.execute("INSERT INTO employees (id, organisation_id, external_id, name, email, time_zone, "
                   "locale, rule_pack, exemption, active, created_at, updated_at) "
                   "VALUES (?, ?, ?, 'n', 'e', 'Europe/Oslo', 'nb', 'no-aml', 'NONE', 1, 0, 0)",
                   (e, org, f"x{i}"))
    db.execute("COMMIT")
    state = {"seq": 0, "t": 1_700_000_000_000_000}
    per_transaction = any(col[1] == "row_ids"
                          for col in db.execute("PRAGMA table_info(record_chain)"))

    def commit(n):
        chosen = rnd.sample(emps, n)
        db.execute("BEGIN IMMEDIATE")
        ids = []
        for e in chosen:
            state["t"] += 1000
            eid = new_id()
            db.execute("INSERT INTO clock_events (organisation_id, event_id, employee_id, kind, "
                       "occurred_at, location, device_id, received_at) "
                       "VALUES (?, ?, ?, 'CLOCK_IN', ?, NULL, 'd', ?)",
                       (org, eid, e, state["t"], state["t"]))
            ids.append(eid)
        db.execute("UPDATE record_chain_heads SET seq = seq WHERE organisation_id = ?", (org,))
        if per_transaction:
            # Migration 0038: one link for the commit's events.
            state["seq"] += 1
            db.execute("INSERT INTO record_chain (organisation_id, seq, kind, row_id, row_ids, hash) "
                       "VALUES (?, ?, 'EVENTS', ?, ?, ?)",
                       (org, state["seq"], min(ids), json.dumps(sorted(ids)), "ab" * 32))
        else:
            for eid in ids:
                state["seq"] += 1
                db.execute("INSERT INTO record_chain (organisation_id, seq, kind, row_id, hash) "
                           "VALUES (?, ?, 'EVENT', ?, ?)", (org, state["seq"], eid, "ab" * 32))
        db.execute("UPDATE record_chain_heads SET seq = ?, hash = ? WHERE organisation_id = ?",
                   (state["seq"], "cd" * 32, org))
        for e in sorted(chosen):
            db.execute("INSERT INTO recompute_queue (organisation_id, employee_id, from_at, to_at, "
                       "version, queued_at) VALUES (?, ?, ?, ?, 1, ?) "
                       "ON CONFLICT (organisation_id, employee_id) "
                       "DO UPDATE SET version = recompute_queue.version + 1",
                       (org, e, state["t"], state["t"], state["t"]))
            db.execute("INSERT INTO event_counts (organisation_id, employee_id, events) "
                       "VALUES (?, ?, 1) ON CONFLICT (organisation_id, employee_id) "
                       "DO UPDATE SET events = event_counts.events + excluded.events", (org, e))
        db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        for e in chosen:
            db.execute("DELETE FROM recompute_queue WHERE organisation_id = ? AND employee_id = ?",
                       (org, e))
        db.execute("COMMIT")

    for _ in range(SEED_COMMITS):
        commit(SEED_SIZE)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for _ in range(COMMITS):
        commit(SIZE)
    frames = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    print(f"{frames} WAL frames for {COMMITS * SIZE} events: "
          f"{frames / (COMMITS * SIZE):.2f} an event "
          f"({SEED_COMMITS * SEED_SIZE} events stored before; SQLite {sqlite3.sqlite_version})")


if __name__ == "__main__":
    main()
