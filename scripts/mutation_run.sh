#!/usr/bin/env bash
# A sampled cargo-mutants run over src/domain/engine and src/domain/rules,
# outside CI (issue 13). Results go into docs/mutation.md by hand.
#
#   cargo install cargo-mutants --locked
#   scripts/mutation_run.sh [SAMPLE] [SEED]   # e.g. 300 13; SAMPLE=all for every mutant
#   scripts/mutation_run.sh /abs/path/names.txt  # exactly these mutants (say, the survivors)
#
# The run happens in a throwaway clone ($MUTATION_DIR, default
# /tmp/tidsvakt-mutants) at this checkout's HEAD, one mutant at a time with
# `--in-place` (so -j 1; the clone's target/ stays warm, so each mutant is
# one incremental build of the library's unit tests). Only the unit tests
# run (`-C --lib`, for the build as well as the test run; `-- --lib` would
# build every test target first): the rules are pure and tested beside the
# code; the API tests need a server and a database and take minutes.
#
# The sample is the first SAMPLE mutants of `cargo mutants --list` shuffled
# with a fixed seed, so a rerun with the same SEED on the same commit tests
# the same mutants, and a run stopped early has tested a random sample.
# While the file $MUTATION_DIR/pause exists the run waits between mutants
# (to build something else on a small machine without two cargo commands
# at once).
#
# Output: $MUTATION_DIR/results.tsv (index, outcome, seconds, mutant) and a
# summary from each mutant's outcomes.json: caught / missed / timeout /
# unviable, the kill rate with a 95 % Wilson interval, and the survivors.
set -euo pipefail

SAMPLE=${1:-60}
SEED=${2:-13}
TIMEOUT=${MUTATION_TIMEOUT:-300}
REPO=$(git rev-parse --show-toplevel)
WORK=${MUTATION_DIR:-/tmp/tidsvakt-mutants}
FILES=(-f 'src/domain/engine/**' -f 'src/domain/rules/**')

if [ ! -d "$WORK/.git" ]; then
    git clone -q "$REPO" "$WORK"
    # A warm target/ saves the dependency build.
    [ -d "$REPO/target" ] && cp -a "$REPO/target" "$WORK/target"
fi
git -C "$WORK" fetch -q "$REPO" HEAD
# -f: a run stopped mid-mutant leaves the mutant in the source.
git -C "$WORK" checkout -q -f --detach FETCH_HEAD
cd "$WORK"

cargo mutants --list "${FILES[@]}" > all.txt
python3 - "$SAMPLE" "$SEED" <<'PY'
import os, random, sys
names = open("all.txt").read().splitlines()
n, seed = sys.argv[1], int(sys.argv[2])
if os.path.isfile(n):
    # A file of mutant names (e.g. last run's survivors): exactly those.
    picked = [l for l in open(n).read().splitlines() if l]
    open("sample.txt", "w").write("\n".join(picked) + "\n")
    sys.exit(0)
# A seeded shuffle, then a prefix: a run stopped early has still tested a
# random sample (the first k of the same order).
random.Random(seed).shuffle(names)
picked = names if n == "all" else names[: int(n)]
open("sample.txt", "w").write("\n".join(picked) + "\n")
print(f"{len(picked)} of {len(names)} mutants, seed {seed}", file=sys.stderr)
PY

: > results.tsv
mkdir -p out
i=0
while IFS= read -r name; do
    i=$((i + 1))
    while [ -e "$WORK/pause" ]; do sleep 5; done
    re="^$(python3 -c 'import re,sys; print(re.escape(sys.argv[1]))' "$name")\$"
    # cargo-mutants 27.1 lets its "delete field" mutants past --re (not
    # past --file): name the mutant's file, and skip them by hand.
    skip=(-E 'delete field')
    case "$name" in *"delete field"*) skip=() ;; esac
    file=${name%%:*}
    out="out/$i"
    rm -rf "$out"
    start=$(date +%s)
    # --in-place runs one mutant at a time (it is -j 1 by nature).
    nice -n 19 cargo mutants --in-place --baseline skip \
        --timeout "$TIMEOUT" --build-timeout 900 \
        -f "$file" -F "$re" "${skip[@]}" -o "$out" -C --lib > "$out.log" 2>&1 || true
    secs=$(( $(date +%s) - start ))
    outcome=unknown
    for o in caught missed timeout unviable; do
        if [ -s "$out/mutants.out/$o.txt" ]; then outcome=$o; fi
    done
    printf '%s\t%s\t%s\t%s\n' "$i" "$outcome" "$secs" "$name" | tee -a results.tsv
    if [ "$outcome" = unknown ]; then
        tail -5 "$out.log"
        exit 1
    fi
done < sample.txt

python3 - <<'PY'
import json, math, os
names = open("sample.txt").read().splitlines()
# Each mutant's own outcome from cargo-mutants' outcomes.json (a run of a
# file with "delete field" mutants holds those too).
rows = []
for i, name in enumerate(names, 1):
    p = f"out/{i}/mutants.out/outcomes.json"
    if not os.path.exists(p):
        break
    for o in json.load(open(p))["outcomes"]:
        sc = o.get("scenario")
        if isinstance(sc, dict) and sc.get("Mutant", {}).get("name") == name:
            rows.append((i, o["summary"], name))
count = {}
for r in rows:
    count[r[1]] = count.get(r[1], 0) + 1
print(count)
# A timeout counts as caught (the mutant made the tests hang), as cargo-mutants does.
k = count.get("CaughtMutant", 0) + count.get("Timeout", 0)
n = k + count.get("MissedMutant", 0)
if n:
    p, z = k / n, 1.96
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    print(f"kill rate {k}/{n} = {100 * p:.1f} %, 95 % Wilson interval {100 * (c - h):.1f}-{100 * (c + h):.1f} %")
for i, summary, name in rows:
    if summary != "CaughtMutant":
        print(i, summary, name)
PY
