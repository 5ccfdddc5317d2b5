#!/usr/bin/env bash
# Rolling deploy of a new build, one instance at a time, with automatic rollback.
#   deploy/deploy.sh --binary FILE [--timeout SECONDS] [--override DEPLOY] [--dry-run]
# The build is kept as /opt/checkin/releases/<version>/checkin (the newest
# CHECKIN_KEEP_BUILDS, default 5, stay: deploy/rollback.sh goes back to any of them).
# For each port: out of Nginx, restart on the new build, wait for /ready, back in.
# If an instance is not ready within the bound, every updated instance goes back to the
# build that was live and the deploy exits 1.
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
load_ports

# The build is kept under its version before anything changes, so the file given is never
# overwritten, whatever it is (even a kept build of this machine).
keep_build "$binary"
live="$("$CHECKIN_HOME/bin/checkin" --version 2>/dev/null || echo none)"
last="$(tail -n 1 "$RELEASES/history" 2>/dev/null || true)"
if [[ "$KEPT_VERSION" == "$live" ]]; then
  if [[ -z "$last" || "$last" == "$KEPT_VERSION" || ! -x "$RELEASES/$last/checkin" ]]; then
    echo "deploy: $KEPT_VERSION is already live; nothing to do"
    exit 0
  fi
  # The file was swapped but the deploy never finished (instances may still run $last):
  # it starts again from the build last recorded live, so a failure still rolls back to it.
  echo "deploy: an earlier deploy of $KEPT_VERSION did not finish; starting it again from $last"
  run install -m 755 "$RELEASES/$last/checkin" "$CHECKIN_HOME/bin/checkin.new"
  run mv -f "$CHECKIN_HOME/bin/checkin.new" "$CHECKIN_HOME/bin/checkin"
fi
switch_to "$KEPT"
