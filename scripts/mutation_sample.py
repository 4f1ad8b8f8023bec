#!/usr/bin/env python3
# Outside CI. Run from a throwaway clone of the repository:
#   git clone . /tmp/m && cd /tmp/m && python3 scripts/mutation_sample.py [indexes]
# Result on the law branch (issue 13): 17 of 18 caught; the survivor (index 7,
# headroom loading from 21 instead of 28 days back) is equivalent while stored
# day totals are exact, since they stand in for whatever is not loaded.
"""A hand-picked mutation run (cargo-mutants is not installed here): each
mutant changes one operator or constant in src/domain/engine or
src/domain/rules, runs `cargo test --lib`, and records caught/missed."""
import subprocess, sys, time
import os
# A throwaway clone (the script edits files in place and restores them).
REPO = os.environ.get("MUTATION_REPO", os.getcwd())
MUTANTS = [
 ("src/domain/engine/minutes.rs", "if r.abs() * 2 >= MINUTE_US {", "if r.abs() * 2 > MINUTE_US {"),
 ("src/domain/engine/minutes.rs", "        if left <= 0 {\n            break;", "        if left < 0 {\n            break;"),
 ("src/domain/engine/minutes.rs", "            normal: split[0],\n            overtime: split[1],", "            normal: split[1],\n            overtime: split[0],"),
 ("src/domain/engine/windows.rs", "let breach = if strict { sum > limit } else { sum >= limit };", "let breach = if strict { sum >= limit } else { sum >= limit };"),
 ("src/domain/engine/windows.rs", "        if gap.len() > best.1 {\n            best = (gap, gap.len());\n        }\n        cursor", "        if gap.len() >= best.1 {\n            best = (gap, gap.len());\n        }\n        cursor"),
 ("src/domain/engine/ledger.rs", "                        .min(nonneg(limits.weekly(monday) - *used_week))", ""),
 ("src/domain/engine/ledger.rs", ".filter(|s| s.overtime && !s.extra_break)", ".filter(|s| s.overtime)"),
 ("src/domain/engine/headroom.rs", "local_date(tz, at - Duration::days(28))", "local_date(tz, at - Duration::days(21))"),
 ("src/domain/rules/no_aml.rs", "shift.span.end - scheduled_end > extra_after)", "shift.span.end - scheduled_end >= extra_after)"),
 ("src/domain/rules/de_arbzg.rs", "if breach.is_none() && total - worked < min_off {", "if breach.is_none() && total - worked <= min_off {"),
 ("src/domain/rules/common.rs", "        if acc + s.span.len() >= threshold {\n            return Some", "        if acc + s.span.len() > threshold {\n            return Some"),
 ("src/domain/engine/params.rs", "&& o.effective_from <= date", "&& o.effective_from < date"),
 ("src/domain/rules/no_aml.rs", "if *worked <= cap ||", "if *worked < cap ||"),
 ("src/domain/rules/de_arbzg.rs", "(56, \"eight weeks\", \"åtte uker\")", "(55, \"eight weeks\", \"åtte uker\")"),
 ("src/domain/engine/evaluate.rs", "trusted.is_none_or(|t| d >= local_date(tz, t.start) && d < local_date(tz, t.end))", "trusted.is_none_or(|t| d >= local_date(tz, t.start) && d <= local_date(tz, t.end))"),
 ("src/domain/engine/record.rs", "Some(last) if i.start - last.span.end < SHIFT_GAP =>", "Some(last) if i.start - last.span.end <= SHIFT_GAP =>"),
 ("src/domain/rules/no_aml.rs", "            if shift.breaks.len() < 2 {", "            if shift.breaks.len() < 1 {"),
 ("src/domain/holidays.rs", "let opens = org_eve.map_or(self.window_opens(d), |t| t.min(self.window_opens(d)));", "let opens = org_eve.map_or(self.window_opens(d), |t| t.max(self.window_opens(d)));"),
]
results = []
ONLY = [int(a) for a in sys.argv[1:]]
for i, (path, old, new) in enumerate(MUTANTS):
    if ONLY and i not in ONLY:
        continue
    p = f"{REPO}/{path}"
    src = open(p).read()
    if old not in src:
        results.append((i, path, "UNAPPLIED", old.splitlines()[0].strip()))
        print(results[-1], flush=True)
        continue
    open(p, "w").write(src.replace(old, new, 1))
    t = time.time()
    r = subprocess.run(["cargo", "test", "--lib", "-q"], cwd=REPO, capture_output=True, text=True)
    open(p, "w").write(src)
    verdict = "CAUGHT" if r.returncode != 0 else "MISSED"
    if r.returncode != 0 and "error[" in r.stderr:
        verdict = "UNVIABLE"
    results.append((i, path, verdict, old.splitlines()[0].strip(), round(time.time() - t)))
    print(results[-1], flush=True)
caught = sum(1 for r in results if r[2] == "CAUGHT")
viable = sum(1 for r in results if r[2] in ("CAUGHT", "MISSED"))
print(f"caught {caught} of {viable} viable mutants", flush=True)
