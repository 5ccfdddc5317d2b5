#!/usr/bin/env bash
# Benchmarks against the local stack: figures printed and written under bench/results.
#   scan rate (Bun load generator), live updates (2,000 dashboards), one instance under Bun
#   against one under Deno, five offline devices replaying their queues at once, registrations
#   written one call at a time (10,000 then 100,000 in the database), then the k6
#   doors-open and dashboards scenarios against a 2-instance cluster behind Nginx.
set -euo pipefail
LOG_TAG=bench
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
node_ensure
apt_ensure nginx nginx-light
k6_ensure

stack_up
cluster_pid=""
cleanup() {
  [[ -z "$cluster_pid" ]] || { kill -TERM "$cluster_pid" 2>/dev/null; wait "$cluster_pid" 2>/dev/null || true; }
  stack_down
}
trap cleanup EXIT

status=0
results="$ROOT/bench/results"
mkdir -p "$results"
bun deploy/local/bench-scans.ts
# The floor: the same documents and Redis scripts without our server, compared with the run above.
bun deploy/local/bench-floor.ts || status=$?
bun deploy/local/bench-faults.ts || status=$?
# The same scan runs with PostgreSQL durable (fsync and synchronous commit on), labelled apart.
if [[ -f "$LOCAL/run/postgres.pid" ]]; then
  STACK_PG_DURABLE=1 bash "$ROOT/deploy/local/stack.sh" restart-postgres
  sleep 2
  SCALE=0 KNEE="" LABEL="postgres durable (fsync on)" bun deploy/local/bench-scans.ts || status=$?
  STACK_PG_DURABLE=0 bash "$ROOT/deploy/local/stack.sh" restart-postgres
  sleep 2
fi
bun deploy/local/bench-live.ts
bun deploy/local/bench-deno.ts || status=$?
bun deploy/local/bench-replay.ts || status=$?
bun deploy/local/bench-registrations.ts || status=$?

# k6 against its own cluster and database.
k6_log="$LOGS/bench-k6-cluster.log"
k6_db="bench_k6_$(date +%s)"
THROTTLE_LIMIT=1000000 MONGODB_DB="$k6_db" BASE_PORT=3301 NGINX_PORT=8183 CLUSTER_DIR="$LOCAL/bench-k6-cluster" LOG_LEVEL=warn \
  bun deploy/local/cluster.ts >"$k6_log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 300); do grep -q '^URL: ' "$k6_log" && break; sleep 0.2; done
grep -q '^URL: ' "$k6_log" || die "the k6 cluster did not start (see $k6_log)"
API_TOKEN="$(MONGODB_DB="$k6_db" bun src/main.ts create-token --name k6-bench --role admin)"
export API_TOKEN
stamp="$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$results/k6-$stamp"
export BASE_URL=http://127.0.0.1:8183 SUMMARY_DIR="$results/k6-$stamp"
k6 run --quiet --no-usage-report -e RATE="${K6_RATE:-300}" -e DURATION="${K6_DURATION:-60}" k6/doors-open.js || status=$?
k6 run --quiet --no-usage-report -e CLIENTS="${K6_CLIENTS:-1000}" -e DURATION="${K6_DURATION:-30}" k6/dashboards.js || status=$?
log "k6 summaries in $SUMMARY_DIR"
exit "$status"
