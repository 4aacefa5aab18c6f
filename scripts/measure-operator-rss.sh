#!/usr/bin/env bash
# The lab operator's real memory with N Machines cached (README, `vitictl tune`): creates N machines in
# batches of 1,000 at qps/s each (shards of one run: a shard gets its share of the run's rate, hence
# qps × batches), no readiness wait; waits until the operator has reconciled them all, reads
# process_resident_memory_bytes and go_gc_heap_live_bytes three times, then deletes them.
# Usage: npm run build && node bin/vitictl.js lab up && scripts/measure-operator-rss.sh [N=20000] [qps=200]
set -euo pipefail
cd "$(dirname "$0")/.."
lab="${VITICTL_LAB_DIR:-.lab}"
export KUBECONFIG="$lab/kubeconfig"
metrics="http://127.0.0.1:$(node -e "console.log(JSON.parse(require('fs').readFileSync('$lab/state.json','utf8')).ports.metrics)")/metrics"
total="${1:-20000}"
qps="${2:-200}"
batches=$(((total + 999) / 1000))
run="rss-$total-$(date +%s)"
sample() { curl -sf "$metrics" | grep -E "^($1) " | awk '{print $2}'; }
reconciled() { curl -sf "$metrics" | awk '/^controller_runtime_reconcile_total\{controller="machine"/ {s += $2} END {printf "%d", s}'; }
start=$(reconciled)
echo "before: rss $(sample process_resident_memory_bytes) heap-live $(sample go_gc_heap_live_bytes)"
for ((i = 0; i < batches; i++)); do
  node bin/vitictl.js apply machines --count "$total" --shard "$i/$batches" --qps "$((qps * batches))" --no-wait --keep --namespaces "$batches" \
    --run-id "$run" --reuse-run-id -q >/dev/null
done
# the operator has caught up when it has reconciled every new machine (the counter is since its start)
for _ in $(seq 600); do
  [ $(($(reconciled) - start)) -ge "$total" ] && break
  sleep 2
done
sleep 30 # let a GC cycle or two settle the heap
for _ in 1 2 3; do
  echo "with $total machines cached: rss $(sample process_resident_memory_bytes) heap-live $(sample go_gc_heap_live_bytes)"
  sleep 10
done
node bin/vitictl.js cleanup machines --run-id "$run" >/dev/null
