#!/usr/bin/env bash
# Keyword mode's concern facet at several shares of each conversation's reading taken from its
# base cluster (facets.concern_context), every row reading the same cached vectors (one store
# per data set): Banking77 test (all benign: share at level 1), hh-rlhf harmless-test (red-team
# transcripts: mean level, share at 4 or more), and two synthetic sets with planted levels, in
# eight languages (the "auto" embedder takes multilingual-e5-small) and in English
# (all-MiniLM-L6-v2): Spearman with the planted level, planted-benign conversations scored 3
# or more, planted level 4-5 conversations found at 4 or more. Needs a release build and the
# model files (chorus models fetch); makes a venv with pyarrow to read conversations.parquet.
#
#   bench/concern_context.sh [CONTEXTS] [SYNTH_SIZE]     e.g. bench/concern_context.sh "0 0.25 0.5" 10000
set -euo pipefail
cd "$(dirname "$0")/.."
CONTEXTS=${1:-"0 0.1 0.2 0.25 0.3 0.4 0.5"}
SIZE=${2:-10000}
C=${CHORUS:-target/release/chorus}
WORK=${WORK:-target/bench-concern-context}
VENV=target/bench-venv-parquet
mkdir -p "$WORK"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q pyarrow
fi
[ -f "$WORK/synth.jsonl" ] || "$C" synth -n "$SIZE" --seed 7 -o "$WORK/synth.jsonl" > /dev/null
[ -f "$WORK/english.jsonl" ] || "$C" synth -n "$SIZE" --seed 7 --languages en \
    -o "$WORK/english.jsonl" > /dev/null
printf '| concern_context | Banking77 at 1 | hh-rlhf mean | hh-rlhf at >= 4 | synth Spearman | synth benign at >= 3 | synth planted 4-5 found | English Spearman | English benign at >= 3 | English planted 4-5 found |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for context in $CONTEXTS; do
    config="$WORK/context-$context.toml"
    printf '[facets]\nconcern_context = %s\n' "$context" > "$config"
    run() { "$C" run "$@" --config "$config" -q > /dev/null 2>&1; }
    run ../shared/data/banking77-test.csv.gz -o "$WORK/b77-$context" --k 77 \
        --distinct-unknown-users --store "$WORK/b77.sqlite"
    run ../shared/data/hh-rlhf-harmless-test.jsonl.gz -o "$WORK/hh-$context" \
        --distinct-unknown-users --store "$WORK/hh.sqlite"
    for set in synth english; do
        run "$WORK/$set.jsonl" -o "$WORK/$set-$context" --store "$WORK/$set.sqlite"
        "$C" eval "$WORK/$set-$context" --truth "$WORK/$set.truth.jsonl" > /dev/null 2>&1
    done
    "$VENV/bin/python" - "$WORK" "$context" <<'PY'
import json, sys
import pyarrow.parquet as pq
work, context = sys.argv[1:]

def levels(run):
    table = pq.read_table(f"{run}/conversations.parquet", columns=["id", "concern"]).to_pydict()
    return dict(zip(table["id"], table["concern"]))

def planted(run, truth):
    ours = levels(run)
    truth = {r["id"]: r["concern"] for r in map(json.loads, open(truth))}
    rho = json.load(open(f"{run}/eval.json"))["concern"][1]
    benign = sum(1 for i, t in truth.items() if t == 1 and (ours.get(i) or 0) >= 3)
    harmful = [i for i, t in truth.items() if t >= 4]
    found = sum(1 for i in harmful if (ours.get(i) or 0) >= 4) / max(len(harmful), 1)
    return f"{rho:.3f} | {benign} | {found:.1%}"

b77 = [v for v in levels(f"{work}/b77-{context}").values() if v is not None]
hh = [v for v in levels(f"{work}/hh-{context}").values() if v is not None]
print(f"| {context} | {sum(v == 1 for v in b77) / len(b77):.1%} | {sum(hh) / len(hh):.2f} "
      f"| {sum(v >= 4 for v in hh) / len(hh):.1%} "
      f"| {planted(f'{work}/synth-{context}', f'{work}/synth.truth.jsonl')} "
      f"| {planted(f'{work}/english-{context}', f'{work}/english.truth.jsonl')} |")
PY
done
