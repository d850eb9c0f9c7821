#!/usr/bin/env bash
# Python reference for the orchestration benchmark: the same 100 ms test server, an asyncio +
# openai client loop. Needs `pip install openai` in the python3 it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p chorus-testkit --example serve
server_log=$(mktemp)
target/release/examples/serve 100 > "$server_log" &
server=$!
trap 'kill $server 2> /dev/null || true; rm -f "$server_log"' EXIT
for _ in $(seq 50); do [ -s "$server_log" ] && break; sleep 0.1; done
base_url=$(head -n 1 "$server_log")
"${PYTHON:-python3}" bench/orchestration_reference.py "$base_url"
