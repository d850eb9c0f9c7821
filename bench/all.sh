#!/usr/bin/env bash
# Every benchmark, each beside its reference, in one go (never part of the test command).
# The Python references are installed into a venv the scripts create (target/bench-venv).
# Takes a few hours on 2 cores; pass section names to run only some:
#
#   bench/all.sh [ingest] [embed] [kmeans] [map] [orchestration] [end-to-end] [page]
#
# `embed` and `map` need the sentence-transformers folders of the models for the Python side:
# MINILM=… (all-MiniLM-L6-v2) and MPNET=… (all-mpnet-base-v2).
set -euo pipefail
cd "$(dirname "$0")/.."
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(ingest embed kmeans map orchestration end-to-end page)
VENV=${BENCH_VENV:-target/bench-venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy faiss-cpu scikit-learn umap-learn sentence-transformers openai bertopic
fi
export BENCH_VENV=$VENV
for section in "${sections[@]}"; do
    echo "################ $section ($(date -u +%FT%TZ))"
    case "$section" in
        ingest) bash bench/ingest.sh 64 256 ;;
        embed)
            for model in all-minilm-l6-v2:"${MINILM:?set MINILM}" all-mpnet-base-v2:"${MPNET:?set MPNET}"; do
                name=${model%%:*}; folder=${model#*:}
                for mode in first joined; do
                    cargo bench -q -p chorus-local --bench embed -- 2000 "$name" "$mode"
                    "$VENV/bin/python" bench/embed_reference.py "$folder" 2000 "$mode"
                done
            done ;;
        kmeans) bash bench/kmeans.sh 1000000 384 256 10 ;;
        map) bash bench/layout.sh "${MINILM:?set MINILM}" ;;
        orchestration)
            cargo bench -q -p chorus-pipeline --bench orchestration
            PATH="$VENV/bin:$PATH" bash bench/orchestration_reference.sh ;;
        end-to-end)
            bash bench/end_to_end.sh 10000 100000
            "$VENV/bin/python" bench/end_to_end_reference.py "${MINILM:?set MINILM}" \
                target/bench-e2e/s10000.jsonl target/bench-e2e/s10000.truth.jsonl ;;
        page) bash bench/page.sh target/bench-e2e/r10000 ;;   # after end-to-end
        *) echo "unknown section $section" >&2; exit 2 ;;
    esac
done
