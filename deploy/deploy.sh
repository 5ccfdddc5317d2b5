#!/usr/bin/env bash
# Rolling deploy of a new build, one instance at a time, with automatic rollback.
#   deploy/deploy.sh --binary FILE [--timeout SECONDS] [--override DEPLOY] [--dry-run]
# For each port: out of Nginx, restart on the new binary, wait for /ready, back in.
# If an instance is not ready within the bound, every updated instance goes back to the
# previous binary (kept as checkin.previous) and the deploy exits 1.
# Event-day freeze: EVENT_DAY_FREEZE=true (environment or /etc/checkin/checkin.env) or the
# file /etc/checkin/FREEZE refuses the deploy unless --override DEPLOY (or EVENT_DAY_OVERRIDE=DEPLOY).
set -euo pipefail

OPS_NAME=deploy
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

binary="" override="${EVENT_DAY_OVERRIDE:-}" DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --binary) binary="${2:?--binary needs a file}"; shift 2 ;;
  --timeout) READY_TIMEOUT="${2:?--timeout needs seconds}"; shift 2 ;;
  --override) override="${2:?--override needs the word DEPLOY}"; shift 2 ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ -n "$binary" ]] || { usage >&2; die "--binary is required"; }
[[ -x "$binary" ]] || die "$binary is not an executable file"
[[ "$READY_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a whole number of seconds"

if frozen; then
  [[ "$override" == DEPLOY ]] ||
    die "event-day freeze is on (EVENT_DAY_FREEZE or $CHECKIN_ETC/FREEZE): no deploy today. To deploy anyway, pass --override DEPLOY"
  echo "deploy: event-day freeze overridden with DEPLOY"
fi
ops_lock

new_version="$("$binary" --version)" || die "$binary --version failed: not deploying a build that cannot start"
current="$CHECKIN_HOME/bin/checkin"
previous="$CHECKIN_HOME/bin/checkin.previous"
load_ports
old_version="$("$current" --version 2>/dev/null || echo unknown)"
echo "deploy: $old_version -> $new_version on ports ${PORTS[*]}"

# Renames only: an instance still running keeps the file it started from.
run cp -p "$current" "$previous"
run install -m 755 "$binary" "$current.new"
run mv -f "$current.new" "$current"
# Until the new build has proved itself, the one known to work renders the Nginx files.
CHECKIN="$previous"

# restart_one PORT: out of Nginx (when others can serve), restart, wait for /ready, back in.
restart_one() {
  local port="$1"
  if ((${#PORTS[@]} > 1)); then render_nginx "${PORTS[@]}" --down "$port"; fi
  # A crash-looping unit may have hit its start limit; that must not block the restart.
  run systemctl reset-failed "checkin@$port" 2>/dev/null || true
  run systemctl restart "checkin@$port" && wait_ready "$port"
}

updated=()
rollback() {
  set +e
  echo "deploy: $1; rolling back ${updated[*]} to $old_version" >&2
  run cp -p "$current" "$CHECKIN_HOME/bin/checkin.failed"
  run cp -p "$previous" "$current.new" && run mv -f "$current.new" "$current"
  local port
  for port in "${updated[@]}"; do
    restart_one "$port" || echo "deploy: checkin@$port is not ready on the previous build either" >&2
  done
  render_nginx "${PORTS[@]}"
  die "rolled back to $old_version; the failed build is kept as $CHECKIN_HOME/bin/checkin.failed"
}

for port in "${PORTS[@]}"; do
  updated+=("$port")
  restart_one "$port" || rollback "checkin@$port not ready within ${READY_TIMEOUT}s"
  echo "deploy: checkin@$port ready on $new_version"
done
render_nginx "${PORTS[@]}"
echo "deploy: done; $new_version on ports ${PORTS[*]} (previous build kept as $previous)"
