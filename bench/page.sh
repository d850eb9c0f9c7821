#!/usr/bin/env bash
# Explorer page load time and map frame time in headless Chromium, for a finished run:
#   bench/page.sh RUN_DIR [REPEATS]
# Load: navigation start to the first complete render (JSON parse, tree, detail). Frame: one
# full map draw (every point and the labels). Prints the median of REPEATS (default 3) runs.
set -euo pipefail
RUN=${1:?a run folder with index.html}
REPEATS=${2:-3}
CHROMIUM=${CHORUS_CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
points=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(len(r['map']['points']['x']) if r.get('map') else 0)" "$RUN/report.json")
size=$(stat -c %s "$RUN/index.html")
loads=(); frames=()
for _ in $(seq "$REPEATS"); do
    profile=$(mktemp -d)
    dom=$("$CHROMIUM" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$profile" \
        --window-size=1280,800 --virtual-time-budget=10000 --dump-dom "file://$(realpath "$RUN")/index.html#view=map" 2> /dev/null)
    rm -rf "$profile"
    loads+=("$(grep -o 'data-load-ms="[0-9.]*"' <<< "$dom" | grep -o '[0-9.]*')")
    frames+=("$(grep -o 'data-frame-ms="[0-9.]*"' <<< "$dom" | grep -o '[0-9.]*')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "page $RUN: $points map points, $((size / 1024)) KiB; load $(median "${loads[@]}") ms, map frame $(median "${frames[@]}") ms (median of $REPEATS; loads ${loads[*]}; frames ${frames[*]})"
