#!/usr/bin/env bash
# Records the fixtures of src/tune/*.test.ts from a real lab: one `vitictl apply` per bottleneck, the
# operator reconfigured through its performance ConfigMap before each, the RunResult gzipped.
#   workers:   1 worker, no client limit, 200 machines at 10/s (the lab's provisioning: fixed:200ms)
#   client-qps: 8 workers, QPS 10 / burst 20, 120 machines at 10/s
#   apiserver: 32 workers, no client limit, 1,000 machines at 100/s (the 2-core API server saturates)
#   shared-cpu: 32 workers, no client limit, 1,000 machines at 100/s, the lab's default 2 API calls per
#              reconcile: the API server runs near 70% of its 2 cores, which limits how far tune steps
#   webhook:   16 workers, no client limit, 300 machines at 20/s, the lab's validating webhook taking
#              300 ms per call (start the lab with --webhook-latency fixed:300ms for this one)
# Usage: npm run build && node bin/vitictl.js lab up --workers 1 --provision-time fixed:200ms
#        scripts/record-tune-fixtures.sh [workers|client-qps|apiserver ...]
#        node bin/vitictl.js lab down && node bin/vitictl.js lab up --workers 1 --provision-time fixed:200ms \
#          --webhook-latency fixed:300ms && scripts/record-tune-fixtures.sh webhook
set -euo pipefail
cd "$(dirname "$0")/.."
lab="${VITICTL_LAB_DIR:-.lab}"
export KUBECONFIG="$lab/kubeconfig"
metrics="http://127.0.0.1:$(node -e "console.log(JSON.parse(require('fs').readFileSync('$lab/state.json','utf8')).ports.metrics)")/metrics"
out=src/tune/fixtures

configure() { # workers qps burst
  local yaml="controller: {workers: $1, maxConcurrentReconciles: $1}"$'\n'"rateLimit: {qps: $2, burst: $3}"$'\n'
  kubectl patch configmap vitistack-performance-config -n vitistack-system --type merge \
    -p "$(node -e 'console.log(JSON.stringify({data: {"performance.yaml": process.argv[1]}}))' "$yaml")" >/dev/null
  # the operator re-execs itself on a changed ConfigMap: wait until its metrics show the new workers
  for _ in $(seq 120); do
    if curl -sf "$metrics" | grep -qx "controller_runtime_max_concurrent_reconciles{controller=\"machine\"} $1"; then return; fi
    sleep 0.5
  done
  echo "the operator did not take $1 workers" >&2
  exit 1
}

record() { # name count rate
  local file
  file="$(mktemp --suffix=.json)"
  node bin/vitictl.js apply machines --count "$2" --qps "$3" --metrics "$metrics" --metrics-interval 1s \
    --run-id "tune-$1-$(date +%s)" --out "$file" >/dev/null || true
  gzip -9n <"$file" >"$out/$1.run.json.gz"
  rm -f "$file"
  sleep 5 # let the operator's cache and the API server settle before the next run
}

for name in "${@:-workers client-qps apiserver}"; do
  case "$name" in
    workers) configure 1 -1 0 && record workers 200 10 ;;
    client-qps) configure 8 10 20 && record client-qps 120 10 ;;
    apiserver) configure 32 -1 0 && record apiserver 1000 100 ;;
    shared-cpu) configure 32 -1 0 && record shared-cpu 1000 100 ;;
    webhook) configure 16 -1 0 && record webhook 300 20 ;;
    *) echo "unknown fixture $name" >&2 && exit 2 ;;
  esac
done
ls -l "$out"/*.run.json.gz
