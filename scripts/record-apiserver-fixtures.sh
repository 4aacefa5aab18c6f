#!/usr/bin/env bash
# Records the fixtures of src/observe/apiserver/*.test.ts from a real lab: the API server's and etcd's
# /metrics before and after one apply of 200 machines at 50/s (after: all ready, before the cleanup),
# kept to the families vitictl reads, gzipped.
# Usage: npm run build && VITICTL_LAB_DIR=/tmp/lab node bin/vitictl.js lab up
#        VITICTL_LAB_DIR=/tmp/lab scripts/record-apiserver-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
state="${VITICTL_LAB_DIR:?set VITICTL_LAB_DIR to the lab directory}/state.json"
export KUBECONFIG="$VITICTL_LAB_DIR/kubeconfig"
etcd="http://127.0.0.1:$(node -e "console.log(JSON.parse(require('fs').readFileSync('$state','utf8')).ports.etcd)")/metrics"
out=src/observe/apiserver/fixtures
# the families of src/observe/apiserver/families.ts (HELP, TYPE and samples)
keep='^(# (HELP|TYPE) )?(apiserver_request_(sli_)?duration_seconds|apiserver_request_total|apiserver_flowcontrol_(rejected_requests_total|request_wait_duration_seconds|current_executing_seats|current_executing_requests)|apiserver_current_inflight_requests|etcd_request_duration_seconds|apiserver_watch_events_total|apiserver_storage_objects|apiserver_resource_objects|etcd_disk_backend_commit_duration_seconds|etcd_disk_wal_fsync_duration_seconds|process_start_time_seconds)[_a-z]*[ {]'
# the first line of each file is a comment with the scrape's time (ms since the epoch)
record() {
  { echo "# scraped at $(date +%s%3N)"; kubectl get --raw /metrics | grep -E "$keep"; } | gzip -9n >"$out/apiserver-$1.txt.gz"
  { echo "# scraped at $(date +%s%3N)"; curl -sf "$etcd" | grep -E "$keep"; } | gzip -9n >"$out/etcd-$1.txt.gz"
}
record before
run="fixture-$(date +%s)"
node bin/vitictl.js apply machines --count 200 --qps 50 --keep --run-id "$run" >/dev/null
record after
node bin/vitictl.js cleanup --run-id "$run" >/dev/null
wc -c "$out"/*.txt.gz
