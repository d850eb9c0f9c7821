#!/usr/bin/env bash
# Ingest throughput and peak memory against input size, with a Python reference beside it.
#
#   bench/ingest.sh [SIZES_MB...]      (default: 64 256 1024)
#
# Generates seeded OpenAI-format JSONL files under target/bench/, then for each size times
#   - read_inputs FILE              (the reader alone: parse, map, validate, de-duplicate)
#   - chorus inspect FILE --json    (the reader + a profile of every conversation, language
#                                    detection included, on every core; streaming)
#   - python3 json.loads per line   (the least any Python tool does to read the same file)
# three times each and prints medians: seconds, MB/s and peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-64 256 1024}")
read -r -a sizes <<< "${sizes[*]}"
dir=target/bench
mkdir -p "$dir"
cargo build --release -q -p chorus-cli
cargo build --release -q -p chorus-ingest --example generate_conversations --example read_inputs
chorus=target/release/chorus
generate=target/release/examples/generate_conversations
reader=target/release/examples/read_inputs

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs a command three times; prints "median_seconds median_peak_kb".
measure() {
    local times=() peaks=()
    for _ in 1 2 3; do
        local out
        out=$( { /usr/bin/time -f '%e %M' "$@" > /dev/null; } 2>&1 | tail -n 1)
        times+=("${out% *}")
        peaks+=("${out#* }")
    done
    echo "$(printf '%s\n' "${times[@]}" | median) $(printf '%s\n' "${peaks[@]}" | median)"
}

printf '%-8s %-26s %9s %9s %12s\n' "size" "reader" "seconds" "MB/s" "peak RSS"
for mb in "${sizes[@]}"; do
    file="$dir/conversations-${mb}MB.jsonl"
    [ -f "$file" ] || "$generate" $((mb * 1000 * 1000)) "$file" 7 2> /dev/null
    bytes=$(stat -c %s "$file")
    for tool in reader chorus python; do
        if [ "$tool" = reader ]; then
            result=$(measure "$reader" "$file")
            name="chorus reader only"
        elif [ "$tool" = chorus ]; then
            result=$(measure "$chorus" inspect "$file" --json)
            name="chorus inspect"
        else
            result=$(measure python3 -c 'import json,sys
n=0
for line in open(sys.argv[1], "rb"):
    if line.strip():
        json.loads(line); n+=1
print(n)' "$file")
            name="python3 json.loads/line"
        fi
        seconds=${result% *}
        peak_kb=${result#* }
        awk -v mb="$mb" -v name="$name" -v s="$seconds" -v b="$bytes" -v kb="$peak_kb" \
            'BEGIN { printf "%-8s %-26s %9.2f %9.1f %9.1f MiB\n", mb "MB", name, s, b / 1e6 / s, kb / 1024 }'
    done
done
