#!/usr/bin/env bash
# Every instance at a glance: unit state, version, health, uptime; then Nginx and the binaries.
#   deploy/status.sh [--dry-run]
set -euo pipefail

OPS_NAME=status
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
load_ports
all_ports=("${PORTS[@]}")
if [[ "$DRY_RUN" == 1 ]]; then
  for port in "${all_ports[@]}"; do echo "dry-run: systemctl is-active checkin@$port; GET 127.0.0.1:$port/api/v1/health"; done
  exit 0
fi
value() { grep -o "\"$1\":\"\{0,1\}[^,\"}]*" <<<"$2" | head -n 1 | sed 's/^"[^"]*":"\{0,1\}//' || true; }

printf '%-14s %-10s %-12s %-10s %s\n' INSTANCE UNIT VERSION HEALTH UPTIME
for port in "${all_ports[@]}"; do
  unit="$(systemctl is-active "checkin@$port" 2>/dev/null || true)"
  body="$(curl -sS --max-time 3 "http://127.0.0.1:$port/api/v1/health" 2>/dev/null || true)"
  uptime="$(value uptime "$body")"
  printf '%-14s %-10s %-12s %-10s %s\n' "checkin@$port" "${unit:-unknown}" "$(value version "$body")" \
    "$(value status "$body")" "${uptime:+${uptime}s}"
done
echo
echo "nginx: $(systemctl is-active nginx 2>/dev/null || echo unknown); upstream ports: ${all_ports[*]}"
live="$("$CHECKIN_HOME/bin/checkin" --version 2>/dev/null || echo missing)"
before="$(live_before "$live")"
echo "binary: $live (previous: ${before:-none}; kept: $(kept_versions | tr '\n' ' ' | sed 's/ $//'))"
if frozen; then
  echo "event-day freeze: ON (deploys need --override DEPLOY)"
fi
