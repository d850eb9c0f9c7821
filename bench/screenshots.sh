#!/usr/bin/env bash
# Screenshots of the explorer's tree, table and map views at 1280×800, for docs/ and the README:
#   bench/screenshots.sh RUN_DIR [OUT_DIR] [NODE_ID]
# Names in Chinese and Japanese need CJK fonts: `apt-get install fonts-noto-cjk`.
set -euo pipefail
RUN=${1:?a run folder with index.html}
OUT=${2:-docs}
NODE=${3:-}
CHROMIUM=${CHORUS_CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
if ! fc-list | grep -i cjk > /dev/null; then
    echo "warning: no CJK font installed; Chinese and Japanese names will show as boxes" >&2
fi
page="file://$(realpath "$RUN")/index.html"
selected=${NODE:+&node=$NODE}
shoot() {
    local name=$1 fragment=$2 profile
    profile=$(mktemp -d)
    "$CHROMIUM" --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars \
        --user-data-dir="$profile" --window-size=1280,800 --virtual-time-budget=5000 \
        --screenshot="$OUT/explorer-$name.png" "$page#$fragment" 2> /dev/null
    rm -rf "$profile"
    echo "wrote $OUT/explorer-$name.png"
}
shoot tree "view=tree$selected"
shoot table "view=table&tsort=growth&tdir=desc"
shoot map "view=map"
