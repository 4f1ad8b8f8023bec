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
    if missing:
        print("not found:", missing, file=sys.stderr)
        sys.exit(1)


main()
