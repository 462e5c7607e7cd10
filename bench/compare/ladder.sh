#!/bin/bash
# What each hot-path commit bought: checks the commits out side by side (git worktrees under
# $LADDER_DIR) and runs the NATS part of `npm run bench` on each, ROUNDS rounds with the order
# rotated, printing one line per run. Take the medians per commit from its output.
#   bench/compare/ladder.sh [commit ...]     (default: the commits in bench/compare/README.md)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LADDER_DIR=${LADDER_DIR:-/tmp/ladder}
ROUNDS=${ROUNDS:-3}
COMMITS=${*:-"bc3a000 0481ff0 2b6b773 7e72223 2e2db76 ff71611"}
mkdir -p "$LADDER_DIR"

for c in $COMMITS; do
  [ -d "$LADDER_DIR/$c" ] || git -C "$ROOT" worktree add -q --detach "$LADDER_DIR/$c" "$c"
  ln -sfn "$ROOT/node_modules" "$LADDER_DIR/$c/node_modules"
  cat > "$LADDER_DIR/$c/bench/ladder-run.ts" <<'EOF'
import { benchNats } from './nats.js';
const r = await benchNats({ sequentialRuns: 500, warmup: 50, inFlight: 200, total: 2000 });
console.log(`RESULT ${JSON.stringify({ p50: r.store.workflow.p50, tp: r.store.throughput, floorPut: r.floor.put.p50, floorPps: r.floor.putsPerSecond })}`);
process.exit(0);
EOF
done

read -r -a list <<< "$COMMITS"
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!list[@]}"; do
    c=${list[$(( (i + round - 1) % ${#list[@]} ))]}
    line=$(cd "$LADDER_DIR/$c" && timeout 300 npx tsx bench/ladder-run.ts 2>/dev/null | grep RESULT || echo "FAILED")
    echo "round $round $c $line"
  done
done
echo "remove the worktrees with: git worktree prune (after rm -rf $LADDER_DIR)"
