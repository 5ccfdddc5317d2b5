#!/usr/bin/env bash
# The main job: install what is missing, start the local stack, seed the demo
# conference, run the cluster in the foreground and print its URL. Ctrl-C stops
# everything this run started (a stack that was already up stays up).
set -euo pipefail
LOG_TAG=start
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

node_ensure
apt_ensure nginx nginx-light

stack_up
trap stack_down EXIT

PUBLIC_URL="http://127.0.0.1:${NGINX_PORT:-8080}" bun "$ROOT/src/main.ts" seed-demo

# A background job of a script ignores SIGINT, so Ctrl-C is forwarded as SIGTERM.
bun "$ROOT/deploy/local/cluster.ts" &
cluster_pid=$!
pids=("$cluster_pid")
# SIMULATE_DOORS=RATE keeps about RATE scans per second arriving, so the dashboards move.
if [[ -n "${SIMULATE_DOORS:-}" ]]; then
  # Scans sent before the cluster is up are simply lost; the doors keep going.
  bun "$ROOT/src/main.ts" simulate-doors "$SIMULATE_DOORS" "http://127.0.0.1:${NGINX_PORT:-8080}" &
  pids+=("$!")
fi
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" || true; exit 130' INT TERM
wait "$cluster_pid"
