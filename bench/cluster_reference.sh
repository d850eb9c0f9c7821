#!/usr/bin/env bash
# Banking77 test, k = 77: chorus's base clusters beside the Python tools on the same vectors
# (chorus's encoder writes them for the references), for both embedding models. Creates a venv
# with the references (never part of the test command). Needs the model files
# (fetched first when missing).
#
#   bench/cluster_reference.sh [SEEDS]        e.g. bench/cluster_reference.sh "7 8 9"
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-"7 8 9"}
WORK=target/bench-cluster-reference
VENV=target/bench-venv-cluster
mkdir -p "$WORK"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy scikit-learn umap-learn
fi
cargo build --release -q -p chorus-cli
cargo build --release -q -p chorus-local --example embed_texts
C=target/release/chorus
"$C" models fetch all-minilm-l6-v2 all-mpnet-base-v2 > /dev/null
MODELS=${CHORUS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/chorus}/models
DATA=../shared/data/banking77-test.csv.gz
python3 - "$DATA" "$WORK" <<'PY'
import csv, gzip, json, sys
rows = list(csv.DictReader(gzip.open(sys.argv[1], "rt", encoding="utf-8")))
with open(f"{sys.argv[2]}/texts.jsonl", "w") as texts:
    for row in rows:
        texts.write(json.dumps(row["text"]) + "\n")
json.dump([row["category"] for row in rows], open(f"{sys.argv[2]}/labels.json", "w"))
PY
printf '| method | vectors | NMI | ARI | seconds |\n| --- | --- | ---: | ---: | ---: |\n'
for model in all-minilm-l6-v2 all-mpnet-base-v2; do
    [ -f "$WORK/$model.f32" ] || target/release/examples/embed_texts "$model" "$MODELS/$model" \
        "$WORK/$model.f32" < "$WORK/texts.jsonl" 2> /dev/null
    "$VENV/bin/python" bench/cluster_reference.py "$WORK" "$model"
    printf '[embed]\nmodel = "%s"\n' "$model" > "$WORK/$model.toml"
    for seed in $SEEDS; do
        out="$WORK/chorus-$model-$seed"
        "$C" run "$DATA" -o "$out" --k 77 --distinct-unknown-users --label-field category \
            --config "$WORK/$model.toml" --seed "$seed" --store "$WORK/$model.sqlite" -q \
            > /dev/null 2>&1
    done
    python3 - "$WORK" "$model" $SEEDS <<'PY'
import json, statistics, sys
work, model, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for seed in seeds:
    run = f"{work}/chorus-{model}-{seed}"
    agreement = json.load(open(f"{run}/report.json"))["label_agreement"]
    stages = json.load(open(f"{run}/run.json"))["stages"]
    seconds = next(s["wall_seconds"] for s in stages if s["name"] == "cluster")
    rows.append((agreement["nmi"], agreement["ari"], seconds))
nmi, ari, seconds = (statistics.median(column) for column in zip(*rows))
print(f"| **chorus run --k 77** (default; cluster stage, names and tree included) | {model} "
      f"| **{nmi:.3f}** | **{ari:.3f}** | {seconds:.1f} |")
PY
done
