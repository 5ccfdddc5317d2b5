#!/usr/bin/env bash
# Back to the build that was live before this one, or to a named kept build, with the same
# rolling restart, readiness gate and automatic undo as a deploy.
#   deploy/rollback.sh [VERSION] [--timeout SECONDS] [--list] [--dry-run]
# VERSION: one of the kept builds (--list shows them, newest first). The event-day freeze
# does not stop a rollback: going back to a build that ran is what the freeze protects.
set -euo pipefail

OPS_NAME=rollback
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

target="" list=0 DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --timeout) READY_TIMEOUT="${2:?--timeout needs seconds}"; shift 2 ;;
  --list) list=1; shift ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  -*) usage >&2; die "unknown argument: $1" ;;
  *) target="$1"; shift ;;
  esac
done
[[ "$READY_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a whole number of seconds"
if [[ "$list" == 1 ]]; then
  kept_versions
  exit 0
fi
ops_lock
load_ports
live="$("$CHECKIN_HOME/bin/checkin" --version 2>/dev/null || echo none)"
if [[ -z "$target" ]]; then
  target="$(live_before "$live")"
  [[ -n "$target" ]] || die "no build was live before $live: nothing to go back to"
fi
build="$RELEASES/$target/checkin"
[[ -x "$build" ]] || die "no kept build $target; kept: $(kept_versions | tr '\n' ' ')"
if [[ "$target" == "$live" ]]; then
  echo "rollback: $target is already live; nothing to do"
  exit 0
fi
switch_to "$build"
