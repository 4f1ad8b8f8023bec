#!/usr/bin/env python3
"""SQL time per statement from a server log written with
RUST_LOG=info,sqlx::query=debug (sqlx logs each statement with its elapsed
time), per event stored, largest first.

    python3 scripts/statement_profile.py server.log [rows] [--all]

Statements before the last batch insert of 500 events or more (a bench's
seeding) are left out, so a `record-sqlite*` run's log gives its rounds.
`--all` counts the whole log: a `sync-*` run, whose rounds are such batches
and whose seeding stores no events.
The log of a bench run is `<temp dir>/tidsvakt-bench-*/server-*/server.log`,
removed when the run ends: copy it while the run is going.
"""
import collections
import re
import sys

STATEMENT = re.compile(
    r'summary="(.*?)" db\.statement="(.*?)" rows_affected=(\d+) '
    r'rows_returned=(\d+) elapsed=\S+ elapsed_secs=(\S+)'
)


def main(path, top, everything):
    lines = open(path, errors="replace").read().splitlines()
    start = -1
    for i, line in enumerate(lines if not everything else []):
        if "INSERT INTO clock_events" in line:
            m = re.search(r"rows_affected=(\d+)", line)
            if m and int(m.group(1)) >= 500:
                start = i
    seconds = collections.Counter()
    count = collections.Counter()
    rows = collections.Counter()
    events = 0
    for line in lines[start + 1:]:
        m = STATEMENT.search(line)
        if not m:
            continue
        # sqlx leaves the text empty when the summary holds all of it.
        text = (m.group(2) or m.group(1)).replace("\\n", " ")
        key = re.sub(r"\s+", " ", text).strip()
        # A padded id list says nothing about the statement, and filled
        # the first 160 characters of every lateral join over one.
        key = re.sub(r"VALUES \(\$\d+\)(?:, \(\$\d+\))*", "VALUES …", key)
        key = re.sub(r"IN \(\$\d+(?:, \$\d+)*\)", "IN (…)", key)[:160]
        if key.startswith("INSERT INTO clock_events"):
            events += int(m.group(3))
        seconds[key] += float(m.group(5))
        count[key] += 1
        # sqlx reports a SELECT's (and a RETURNING's) rows as both affected
        # and returned on PostgreSQL: count them once.
        rows[key] += max(int(m.group(3)), int(m.group(4)))
    total = sum(seconds.values())
    per = max(events, 1)
    print(f"events {events}, SQL {total:.2f} s, {1e6 * total / per:.0f} µs an event")
    for key, s in seconds.most_common(top):
        print(
            f"{1e6 * s / per:6.1f} µs/event {100 * s / total:5.1f} % "
            f"n={count[key]:6d} {1e6 * s / count[key]:7.0f} µs each "
            f"{rows[key] / count[key]:7.1f} rows  {key}"
        )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--all"]
    main(args[0], int(args[1]) if len(args) > 1 else 25, "--all" in sys.argv)
