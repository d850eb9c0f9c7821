#!/usr/bin/env bash
# k-means side by side: chorus, faiss-cpu and scikit-learn on the same data, k and iterations.
# Creates a venv with the Python references (never part of the test command).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}; DIM=${2:-384}; K=${3:-256}; ITERATIONS=${4:-10}
FILE="$PWD/target/kmeans-bench-$N-$DIM.f32"
VENV=target/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy faiss-cpu scikit-learn
fi
cargo bench -p chorus-cluster --bench kmeans -- "$N" "$DIM" "$K" "$ITERATIONS" "$FILE"
"$VENV/bin/python" bench/kmeans_reference.py "$N" "$DIM" "$K" "$ITERATIONS" "$FILE"
