#!/usr/bin/env python3
"""How long SQLite takes to list a team's findings, with and without the
`INDEXED BY findings_employee_at` that `derived::list_findings_sql` names
when employees are listed, on the schema of `migrations/sqlite`.

    python3 scripts/findings_plan.py [employees] [findings-each]

Seeds one organisation (5,000 employees with 20 findings each by default)
in memory, never analysed (as the server never analyses its file), then
reads the newest 50 findings of the first 1, 10 and 500 employees, with a
span of `at` and without, and prints each plan and the median of 5 reads.
"""
import glob
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid


def main(employees, each):
    db = sqlite3.connect(":memory:")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for path in sorted(glob.glob(os.path.join(root, "migrations", "sqlite", "*.sql"))):
        db.executescript(open(path).read())
    org = "o"
    db.execute("INSERT INTO organisations (id, name, created_at) VALUES (?, 'x', 0)", (org,))
    ids = [str(uuid.UUID(int=i)) for i in range(1, employees + 1)]
    random.seed(1)
    rows = []
    for e in ids:
        for k in range(each):
            at = random.randint(0, 10**12)
            rows.append((org, str(uuid.uuid4()), e, "OPEN" if k % 3 == 0 else "RESOLVED", at, at + 1, at))
    db.executemany(
        "INSERT INTO findings (organisation_id, finding_id, employee_id, rule_id, rule_pack, "
        "rule_pack_version, severity, status, window_start, window_end, at, measured, "
        "limit_value, unit, limit_is_minimum, explanation, citation, evidence, first_seen_at, "
        "updated_at) VALUES (?, ?, ?, 'r', 'no-aml', '1', 'WARNING', ?, ?, ?, ?, 1, 1, "
        "'MINUTES', 0, '', '', '', 0, 0)",
        rows,
    )
    db.commit()
    print(f"{employees} employees, {len(rows)} findings")
    for team in sorted({min(n, employees) for n in (1, 10, 500)}):
        listed = ids[:team]
        for span in ("", " AND at >= 0 AND at < 500000000000"):
            for hint in ("", " INDEXED BY findings_employee_at"):
                sql = (
                    f"SELECT * FROM findings{hint} WHERE organisation_id = ? AND employee_id "
                    f"IN ({', '.join('?' * team)}){span} ORDER BY at DESC, finding_id LIMIT 50"
                )
                args = [org] + listed
                plan = "; ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, args))
                times = []
                for _ in range(5):
                    t = time.perf_counter()
                    n = len(db.execute(sql, args).fetchall())
                    times.append(time.perf_counter() - t)
                print(
                    f"{team:>4} listed, {'span' if span else 'no span':<7} "
                    f"{'hint' if hint else 'no hint':<7} {n:>3} rows "
                    f"{statistics.median(times) * 1e3:7.2f} ms  {plan}"
                )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 5000, args[1] if len(args) > 1 else 20)
