#!/usr/bin/env bash
# Base clusters against known labels, one row per setting, every row clustering the same cached
# vectors (one store per data set): Banking77 test at k = 77 (NMI / ARI against the 77 intents)
# and a synthetic set in eight languages (chorus eval: base NMI against the leaf task, top-level
# reconstruction, spillover). Needs a release build and the model files (chorus models fetch).
#
#   bench/base_clusters.sh [SYNTH_SIZE] [SEEDS]      e.g. bench/base_clusters.sh 20000 "7 8 9"
#
# Each row is a chorus.toml fragment; edit SETTINGS to try others.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-20000}
SEEDS=${2:-"7 8 9"}
C=${CHORUS:-target/release/chorus}
WORK=${WORK:-target/bench-base-clusters}
mkdir -p "$WORK"
SETTINGS=(
    "reduce_dims = 0"
    "reduce_dims = 5"
    "reduce_dims = 10"
)
[ -f "$WORK/synth.jsonl" ] || "$C" synth -n "$SIZE" --seed 7 -o "$WORK/synth.jsonl" > /dev/null
printf '| setting | seed | Banking77 NMI / ARI | synth base NMI / ARI | synth top-level reconstruction / spillover | synth level nearest the categories: reconstruction | cluster stage s (synth) |\n| --- | ---: | --- | --- | --- | --- | ---: |\n'
for index in "${!SETTINGS[@]}"; do
    for seed in $SEEDS; do
        config="$WORK/setting-$index.toml"
        printf '[cluster]\n%s\n' "${SETTINGS[$index]}" > "$config"
        b77="$WORK/b77-$index-$seed"
        synth="$WORK/synth-$index-$seed"
        "$C" run ../shared/data/banking77-test.csv.gz -o "$b77" --k 77 --distinct-unknown-users \
            --label-field category --config "$config" --seed "$seed" --store "$WORK/b77.sqlite" \
            -q > /dev/null 2>&1
        "$C" run "$WORK/synth.jsonl" -o "$synth" --config "$config" --seed "$seed" \
            --store "$WORK/synth.sqlite" -q > /dev/null 2>&1
        "$C" eval "$synth" --truth "$WORK/synth.truth.jsonl" > /dev/null 2>&1 || true
        python3 - "$b77" "$synth" "${SETTINGS[$index]//$'\n'/; }" "$seed" <<'PY'
import json, sys
b77, synth, setting, seed = sys.argv[1:]
la = json.load(open(f"{b77}/report.json"))["label_agreement"]
ev = json.load(open(f"{synth}/eval.json"))
run = json.load(open(f"{synth}/run.json"))
cluster = next(s["wall_seconds"] for s in run["stages"] if s["name"] == "cluster")
base = ev["base"]
top = ev["top"]
nearest = ev.get("nearest_level") or top
print(f"| {setting} | {seed} | {la['nmi']:.3f} / {la['ari']:.3f} | {base['nmi']:.3f} / {base['ari']:.3f} "
      f"| {top['accuracy']:.1%} / {top['spillover']:.1%} "
      f"| {nearest['accuracy']:.1%} (level {nearest['level']}, {nearest['clusters']} clusters) | {cluster:.1f} |")
PY
    done
done
