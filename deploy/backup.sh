#!/usr/bin/env bash
# Timestamped backup of the check-in database, with retention.
#   deploy/backup.sh [--dir DIR] [--keep N] [--dry-run]
# Always the binary's own `export` (gzip JSON lines): the archive a restore can check
# whole before it writes, swap in at once, and that never holds accounts or tokens.
# Reads MONGODB_URI (and MONGODB_DB) from the environment or /etc/checkin/checkin.env.
set -euo pipefail

OPS_NAME=backup
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

dir="${BACKUP_DIR:-/var/backups/checkin}"
keep="${BACKUP_KEEP:-14}"
DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dir) dir="${2:?--dir needs a folder}"; shift 2 ;;
  --keep) keep="${2:?--keep needs a number}"; shift 2 ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "--keep must be a positive whole number, got \"$keep\""
load_env

stamp="$(date -u +%Y%m%dT%H%M%SZ)"

run mkdir -p "$dir"
target="$dir/checkin-$stamp.ndjson.gz"
# shellcheck disable=SC2086 # CHECKIN_BIN may be a command with arguments
run $CHECKIN export "$target"
echo "backup: $target"

# Retention: the newest $keep backups stay.
# The names are ours (checkin-<UTC stamp>.*.gz), so ls by time is safe here.
# shellcheck disable=SC2012
mapfile -t old < <(ls -1t "$dir"/checkin-*.gz 2>/dev/null | tail -n "+$((keep + 1))")
for file in "${old[@]}"; do
  run rm -f -- "$file"
  echo "backup: removed $file (keeping $keep)"
done
