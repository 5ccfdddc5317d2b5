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

ops_lock
load_ports
current=("${PORTS[@]}")
if [[ "$direction" == up ]]; then
  highest="$(printf '%s\n' "${current[@]}" | sort -n | tail -n 1)"
  added=()
  for ((i = 1; i <= count; i++)); do added+=("$((highest + i))"); done
  ((highest + count <= 65535)) || die "no room above port $highest for $count more"
  # Units started here are stopped again if any of them does not become ready.
  undo() {
    local port
    for port in "${added[@]}"; do run systemctl disable --now "checkin@$port" || true; done
    die "$1; the new instances were stopped and Nginx was not changed"
  }
  for port in "${added[@]}"; do
    if ! [[ "${DRY_RUN:-0}" == 1 ]] && curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
      undo "port $port is already in use"
    fi
    run systemctl enable --now "checkin@$port" || undo "checkin@$port did not start"
  done
  for port in "${added[@]}"; do
    wait_ready "$port" || undo "checkin@$port did not become ready within ${READY_TIMEOUT}s (journalctl -u checkin@$port)"
  done
  render_nginx "${current[@]}" "${added[@]}"
  write_ports "${current[@]}" "${added[@]}"
  echo "scale: added ${added[*]}; now ${current[*]} ${added[*]}"
else
  ((count < ${#current[@]})) || die "cannot stop $count of ${#current[@]} instances: at least one must stay"
  mapfile -t removed < <(printf '%s\n' "${current[@]}" | sort -n | tail -n "$count")
  mapfile -t kept < <(printf '%s\n' "${current[@]}" | sort -n | head -n "$((${#current[@]} - count))")
  render_nginx "${kept[@]}"
  write_ports "${kept[@]}"
  for port in "${removed[@]}"; do
    run systemctl disable --now "checkin@$port"
  done
  ((${#kept[@]} >= 2)) || echo "scale: warning: one instance left, so a restart of it is an outage" >&2
  echo "scale: removed ${removed[*]}; now ${kept[*]}"
fi
