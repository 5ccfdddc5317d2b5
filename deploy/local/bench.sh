#!/usr/bin/env bash
# Benchmarks against the local stack: figures printed and written under bench/results.
set -euo pipefail
LOG_TAG=bench
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
node_ensure
apt_ensure nginx nginx-light

stack_was_up=0
bash deploy/local/stack.sh status && stack_was_up=1
stack_env="$(bash deploy/local/stack.sh start)"
# shellcheck disable=SC2163
while IFS= read -r line; do export "$line"; done <<<"$stack_env"
cleanup() {
  [[ $stack_was_up == 1 ]] || bash "$ROOT/deploy/local/stack.sh" stop
}
trap cleanup EXIT

bun deploy/local/bench-scans.ts
bun deploy/local/bench-live.ts
