#!/usr/bin/env bash
# Health of the whole cluster, for people and for cron: exit 0 when all is well, 1 otherwise.
#   deploy/health.sh [--quiet] [--dry-run]
# Checks every instance's /ready, Redis and MongoDB (as the instances see them), and Nginx
# (running, configuration valid, answering through the proxy).
set -euo pipefail

OPS_NAME=health
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

quiet=0 DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --quiet) quiet=1; shift ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
say() { [[ "$quiet" == 1 ]] || echo "$*"; }
problems=0
problem() { echo "health: $*" >&2; problems=$((problems + 1)); }

load_ports
all_ports=("${PORTS[@]}")
if [[ "$DRY_RUN" == 1 ]]; then
  for port in "${all_ports[@]}"; do echo "dry-run: GET http://127.0.0.1:$port/api/v1/health"; done
  echo "dry-run: nginx -t; GET through Nginx"
  exit 0
fi
field() { grep -o "\"$1\":\"[a-z]*\"" <<<"$2" | head -n 1 | sed 's/.*:"//; s/"$//' || true; }
ready_count=0
for port in "${all_ports[@]}"; do
  # /ready answers for this instance and for Redis and MongoDB as this instance sees them.
  body="$(curl -sS --max-time 3 "http://127.0.0.1:$port/api/v1/health/ready" 2>/dev/null || true)"
  redis="$(field redis "$body")" mongo="$(field database "$body")"
  if [[ "$(field status "$body")" == ok ]]; then
    ready_count=$((ready_count + 1))
    say "checkin@$port ready (redis ${redis}, mongodb ${mongo})"
  else
    problem "checkin@$port is not ready (redis ${redis:-?}, mongodb ${mongo:-?})"
  fi
  [[ -z "$redis" || "$redis" == connected ]] || problem "checkin@$port: Redis is $redis"
  [[ -z "$mongo" || "$mongo" == connected ]] || problem "checkin@$port: MongoDB is $mongo"
done
((ready_count >= 2 || ${#all_ports[@]} < 2)) || problem "only $ready_count of ${#all_ports[@]} instances are ready"

if nginx -t -q 2>/dev/null; then say "nginx configuration valid"; else problem "nginx -t fails"; fi
# Through Nginx as a client reaches it: the TLS site by its name (on this machine), or the
# plain listener; only a 200 counts (a redirect is not an answer from the instances).
args="$(cat "$NGINX_ARGS_FILE" 2>/dev/null || true)"
name="$(sed -n 's/.*--server-name \([^ ]*\).*/\1/p' <<<"$args")"
listen="$(sed -n 's/.*--listen \([^ ]*\).*/\1/p' <<<"$args")"
if [[ -n "$name" ]]; then
  front="https://$name" via=(--resolve "$name:443:127.0.0.1")
else
  front="http://${listen:-127.0.0.1:80}" via=()
fi
code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 3 "${via[@]}" "$front/api/v1/health/live" 2>/dev/null || true)"
if [[ "$code" == 200 ]]; then
  say "nginx answers at $front"
else
  problem "nginx answers ${code:-nothing} at $front/api/v1/health/live (expected 200)"
fi
((problems == 0)) || exit 1
say "health: all well"
