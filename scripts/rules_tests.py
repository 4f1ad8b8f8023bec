#!/usr/bin/env python3
"""Prints the list of every rule of every pack with the test that holds its
firing case and its non-firing case one minute (or one unit) the other side
of its threshold (issue 13's closing note; docs/rules-tests.md).

It reads the table `coverage::COVERED` (which `every_rule_is_covered`
checks against the catalog) and, for the out-of-hours patterns that run in
every pack, the tests in `pattern_thresholds.rs` and `thresholds.rs` that
name the rule. Run from the repository root:
    python3 scripts/rules_tests.py > docs/rules-tests.md
"""
import re
import sys

RULES = "src/domain/rules"

# The headroom properties: prose, kept here so the file stays generated.
HEADROOM = """
## Headroom and the findings

Two proptests in `src/domain/engine/headroom.rs` hold headroom to the ledger
for random histories (second precision, same-instant events, DST nights,
breaks, absences, shift work) in all three packs:

- `headroom_used_is_the_ledgers_sum`: at any instant every `used` equals the
  ledger's sum over that window at that instant. No case is left out.
- `remaining_reaches_zero_at_the_findings_at`: where a maximum is exceeded,
  `used` equals the threshold at the finding's `at` and is below it a second
  earlier. It leaves out the findings whose § 10-9 (2) extra break before
  `at` differs between the whole record and the record closed at `at`.

That exclusion is inherent, not a gap. A finding is judged on the whole
record; headroom at an instant knows only the work up to it (`GetHeadroom`
closes an open interval at `at`). Whether a clocked break after the
scheduled end is paid working time is decided by later work: the day must go
on more than 2 h past the scheduled end (rules.md, `no.breaks`); the longest
clocked break after that end is the one paid, so a longer later break takes
the pay from an earlier one; and a shift's only break is its ordinary,
unpaid one, so a later break can make an earlier one the extra break. A paid
break adds to working time (`no.total_24h`) and to the day's running total,
which moves later minutes from normal time into overtime (`no.overtime_*`).
So the finding counts the break from when it was taken, and headroom from
the instant it becomes owed. `an_extra_break_is_paid_only_once_work_runs_two_hours_past_the_end`
pins this: 04:00–19:00 with lunch and a break 16:10–16:40 reaches 13 h in
24 h at 17:30 (the finding), while headroom reaches it at 18:00 and jumps by
the break's 30 min one second later.
"""


def tests_in(module):
    """{test name: (first doc line, body)} of a test module."""
    src = open(f"{RULES}/{module}.rs").read()
    out = {}
    for m in re.finditer(r"((?:\s*///[^\n]*\n)*)\s*#\[test\]\s*\n\s*fn (\w+)\(", src):
        doc = " ".join(l.strip()[3:].strip() for l in m.group(1).strip().splitlines())
        start = m.end()
        nxt = src.find("#[test]", start)
        out[m.group(2)] = (doc, src[start : nxt if nxt > 0 else len(src)])
    return out


def main():
    coverage = open(f"{RULES}/coverage.rs").read()
    table = coverage[coverage.index("const COVERED") : coverage.index("];")]
    rows = re.findall(r'\(\s*"([\w-]+)",\s*"([\w.]+)",\s*"(\w+)::(\w+)",?\s*\)', table)
    modules = {}
    print("# Rules and their tests\n")
    print("Every rule of every pack, with the unit test that holds its firing case and")
    print("its non-firing case one minute (or one unit) the other side of the threshold.")
    print("Each named test asserts both sides. Derived from `coverage::COVERED` (which")
    print("`coverage::every_rule_is_covered` checks against the catalog) by")
    print("`python3 scripts/rules_tests.py`; tests live in `src/domain/rules/<module>.rs`.\n")
    print("| Pack | Rule | Firing and non-firing test |")
    print("|---|---|---|")
    missing = []
    for pack, rule, module, test in rows:
        tests = modules.setdefault(module, tests_in(module))
        if test not in tests:
            missing.append(f"{module}::{test}")
        print(f"| {pack} | `{rule}` | `{module}::{test}` |")
    print("\nThe out-of-hours patterns (`pol.*`) run in every pack (pattern severity);")
    print("their pairs are in `pattern_thresholds` (the missing clock-out in `thresholds`):\n")
    print("| Rule | Tests naming the rule |")
    print("|---|---|")
    catalog = open(f"{RULES}/catalog.rs").read()
    pols = sorted(set(re.findall(r'"(pol\.\w+)"', catalog)))
    for rule in pols:
        found = []
        for module in ("pattern_thresholds", "thresholds"):
            for name, (_, body) in modules.setdefault(module, tests_in(module)).items():
                if f'"{rule}"' in body or name.startswith(rule[4:]):
                    found.append(f"`{module}::{name}`")
        if not found:
            missing.append(rule)
        print(f"| `{rule}` | {', '.join(found)} |")
    print(HEADROOM, end="")
    if missing:
        print("not found:", missing, file=sys.stderr)
        sys.exit(1)


main()
