#!/usr/bin/env bash
# Starts or stops instances without dropping a request.
#   deploy/scale.sh up N [--dry-run]     start instance N (port FIRST+N-1: 3003 for 3 when the first is 3001)
#   deploy/scale.sh down N [--dry-run]   stop instance N (at least one instance stays)
#   deploy/scale.sh to N [--dry-run]     run N instances: start the next ones, or stop the highest
# Starting: start, wait for /ready, then add to Nginx. Stopping: remove from Nginx first,
# then stop (the instance drains what it still has). The upstream lists are re-rendered,
# checked with `nginx -t` and reloaded, and Prometheus' target file is rewritten, so every
# running instance is scraped and its death alerts.
set -euo pipefail

OPS_NAME=scale
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

action="${1:-}" number="${2:-}" DRY_RUN=0
[[ "$action" == -h || "$action" == --help ]] && { usage; exit 0; }
[[ "$action" == up || "$action" == down || "$action" == to ]] || { usage >&2; die "say up N, down N or to N"; }
[[ "$number" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive whole number, got \"$number\""
shift 2
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dry-run) DRY_RUN=1; shift ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done

ops_lock
load_ports
mapfile -t current < <(printf '%s\n' "${PORTS[@]}" | sort -n)
first="${current[0]}"
has() { printf '%s\n' "${current[@]}" | grep -qx "$1"; }

# start PORT...: each started and ready before Nginx and Prometheus hear of it; none of them
# is left running if one fails.
start() {
  local -a added=("$@")
  undo() {
    local port
    for port in "${added[@]}"; do run systemctl disable --now "checkin@$port" || true; done
    die "$1; the new instances were stopped and Nginx was not changed"
  }
  local port
  for port in "${added[@]}"; do
    ((port <= 65535)) || undo "port $port is past 65535"
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
  write_targets "${current[@]}" "${added[@]}"
  echo "scale: started ${added[*]}; now $(tr -s ' ' <"$PORTS_FILE" 2>/dev/null || echo "${current[*]} ${added[*]}")"
}

# stop PORT...: out of Nginx and Prometheus first, then stopped.
stop() {
  local -a removed=("$@") kept=()
  mapfile -t kept < <(printf '%s\n' "${current[@]}" | grep -vxF -f <(printf '%s\n' "${removed[@]}"))
  ((${#kept[@]} >= 1)) || die "cannot stop ${removed[*]}: at least one instance must stay"
  render_nginx "${kept[@]}"
  write_ports "${kept[@]}"
  write_targets "${kept[@]}"
  local port
  for port in "${removed[@]}"; do run systemctl disable --now "checkin@$port"; done
  ((${#kept[@]} >= 2)) || echo "scale: warning: one instance left, so a restart of it is an outage" >&2
  echo "scale: stopped ${removed[*]}; now ${kept[*]}"
}

case "$action" in
up)
  port=$((first + number - 1))
  if has "$port"; then echo "scale: instance $number (port $port) already runs"; exit 0; fi
  start "$port"
  ;;
down)
  port=$((first + number - 1))
  has "$port" || die "instance $number (port $port) is not running; running: ${current[*]}"
  stop "$port"
  ;;
to)
  if ((number > ${#current[@]})); then
    highest="${current[${#current[@]} - 1]}"
    added=()
    for ((i = 1; i <= number - ${#current[@]}; i++)); do added+=("$((highest + i))"); done
    start "${added[@]}"
  elif ((number < ${#current[@]})); then
    mapfile -t removed < <(printf '%s\n' "${current[@]}" | tail -n "$((${#current[@]} - number))")
    stop "${removed[@]}"
  else
    echo "scale: already ${number} instances (${current[*]})"
  fi
  ;;
esac
