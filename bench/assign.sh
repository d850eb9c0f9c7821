#!/usr/bin/env bash
# `chorus assign` against a fresh `chorus run` on the same new period, and `chorus compare`:
#   bench/assign.sh [CONVERSATIONS] [WORK_DIR]
# A synthetic set split at its middle day: run on the first half (the tree), then the second
# half both placed into that tree and clustered afresh, each twice (the second time from the
# store: vectors cached, as a weekly job on a shared store would be). Prints wall seconds.
set -euo pipefail
N=${1:-20000}
WORK=${2:-$(mktemp -d)}
CHORUS=${CHORUS:-target/release/chorus}
mkdir -p "$WORK"
"$CHORUS" synth -n "$N" --seed 7 -o "$WORK/s.jsonl" -q
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
first, second = open(f"{work}/first.jsonl", "w"), open(f"{work}/second.jsonl", "w")
for line in open(f"{work}/s.jsonl"):
    (first if json.loads(line)["created_at"][:10] < "2026-10-05" else second).write(line)
PY
timed() {
    local label=$1; shift
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    printf '%-28s %8.2f s\n' "$label" "$(echo "$end - $start" | bc)"
}
STORE="$WORK/store.sqlite"
timed "run first half" "$CHORUS" run "$WORK/first.jsonl" -o "$WORK/a" --store "$STORE" -q
for pass in 1 2; do
    timed "assign second ($pass)" "$CHORUS" assign "$WORK/a" "$WORK/second.jsonl" -o "$WORK/b$pass" --store "$STORE" -q
    timed "run second ($pass)" "$CHORUS" run "$WORK/second.jsonl" -o "$WORK/c$pass" --store "$STORE" -q
done
timed "compare" "$CHORUS" compare "$WORK/a" "$WORK/b2" -o "$WORK/ab"
for run in b2 c2; do
    python3 -c "
import json, sys
stages = {s['name']: s['wall_seconds'] for s in json.load(open('$WORK/$run/run.json'))['stages']}
print('$run', ' '.join(f'{k} {v:.2f}' for k, v in stages.items() if k in ('embed', 'cluster', 'map')))"
done
