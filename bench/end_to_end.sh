#!/usr/bin/env bash
# End-to-end offline runs on synthetic sets: wall time per stage, peak memory, and the
# evaluation against the truth. Usage: bash bench/end_to_end.sh [N ...]  (default: 10000 100000)
# Never part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p chorus-cli
CHORUS="$PWD/target/release/chorus"
WORK="$PWD/target/bench-e2e"
mkdir -p "$WORK"
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(10000 100000)
for N in "${SIZES[@]}"; do
    SET="$WORK/s$N.jsonl"
    OUT="$WORK/r$N"
    "$CHORUS" synth -n "$N" --seed 7 -o "$SET" -q
    rm -rf "$OUT"
    /usr/bin/time -f "%e s wall, %M KiB peak" -o "$WORK/time$N.txt" "$CHORUS" run "$SET" -o "$OUT" -q
    echo "== $N conversations: $(cat "$WORK/time$N.txt")"
    python3 - "$OUT/run.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
for stage in manifest["stages"]:
    print(f'  {stage["name"]:<8} {stage["wall_seconds"]:8.1f} s  {stage["items"]:>9} items')
PY
    "$CHORUS" eval "$OUT" --truth "$WORK/s$N.truth.jsonl" || true
done
