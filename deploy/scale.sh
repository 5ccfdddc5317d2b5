#!/usr/bin/env bash
# Adds or removes instances without dropping a request.
#   deploy/scale.sh up N [--dry-run]     start N more instances on the next free ports
#   deploy/scale.sh down N [--dry-run]   stop the N highest ports (at least one instance stays)
# Up: start, wait for /ready, then add to Nginx. Down: remove from Nginx first, then stop
# (the instance drains what it still has). The upstream lists are re-rendered, checked with
# `nginx -t` and reloaded.
set -euo pipefail

OPS_NAME=scale
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

direction="${1:-}" count="${2:-}" DRY_RUN=0
[[ "$direction" == -h || "$direction" == --help ]] && { usage; exit 0; }
[[ "$direction" == up || "$direction" == down ]] || { usage >&2; die "say up N or down N"; }
[[ "$count" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive whole number, got \"$count\""
shift 2
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dry-run) DRY_RUN=1; shift ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done

read -r -a current <<<"$(ports)"
if [[ "$direction" == up ]]; then
  highest="$(printf '%s\n' "${current[@]}" | sort -n | tail -n 1)"
  added=()
  for ((i = 1; i <= count; i++)); do added+=("$((highest + i))"); done
  for port in "${added[@]}"; do
    run systemctl enable --now "checkin@$port"
  done
  for port in "${added[@]}"; do
    wait_ready "$port" || die "checkin@$port did not become ready within ${READY_TIMEOUT}s; Nginx was not changed (journalctl -u checkin@$port)"
  done
  write_ports "${current[@]}" "${added[@]}"
  render_nginx
  echo "scale: added ${added[*]}; now $(ports)"
else
  ((count < ${#current[@]})) || die "cannot stop $count of ${#current[@]} instances: at least one must stay"
  mapfile -t removed < <(printf '%s\n' "${current[@]}" | sort -n | tail -n "$count")
  mapfile -t kept < <(printf '%s\n' "${current[@]}" | sort -n | head -n "$((${#current[@]} - count))")
  write_ports "${kept[@]}"
  render_nginx
  for port in "${removed[@]}"; do
    run systemctl disable --now "checkin@$port"
  done
  ((${#kept[@]} >= 2)) || echo "scale: warning: one instance left, so a restart of it is an outage" >&2
  echo "scale: removed ${removed[*]}; now ${kept[*]}"
fi
