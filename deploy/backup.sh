#!/usr/bin/env bash
# Timestamped backup of the check-in database, with retention.
#   deploy/backup.sh [--dir DIR] [--keep N] [--dry-run]
# Uses mongodump when installed, else the binary's `export` (gzip JSON lines).
# Reads MONGODB_URI (and MONGODB_DB) from the environment or /etc/checkin/checkin.env.
set -euo pipefail

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "backup: error: $*" >&2; exit 1; }

dir="${BACKUP_DIR:-/var/backups/checkin}"
keep="${BACKUP_KEEP:-14}"
dry_run=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dir) dir="${2:?--dir needs a folder}"; shift 2 ;;
  --keep) keep="${2:?--keep needs a number}"; shift 2 ;;
  --dry-run) dry_run=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "--keep must be a positive whole number, got \"$keep\""
if [[ -z "${MONGODB_URI:-}" && -r /etc/checkin/checkin.env ]]; then
  set -a; source /etc/checkin/checkin.env; set +a
fi
[[ -n "${MONGODB_URI:-}" ]] || die "MONGODB_URI is not set (environment or /etc/checkin/checkin.env)"
# The command that runs the binary; a string so tests can run the sources instead.
checkin="${CHECKIN_BIN:-/opt/checkin/bin/checkin}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
run() { if [[ $dry_run == 1 ]]; then echo "dry-run: $*"; else "$@"; fi; }

run mkdir -p "$dir"
if command -v mongodump >/dev/null && [[ -z "${CHECKIN_BIN:-}" ]]; then
  target="$dir/checkin-$stamp.mongodump.gz"
  run mongodump --uri="$MONGODB_URI" --archive="$target" --gzip
else
  target="$dir/checkin-$stamp.ndjson.gz"
  # shellcheck disable=SC2086 # CHECKIN_BIN may be a command with arguments
  run $checkin export "$target"
fi
echo "backup: $target"

# Retention: the newest $keep backups stay.
mapfile -t old < <(ls -1t "$dir"/checkin-*.gz 2>/dev/null | tail -n "+$((keep + 1))")
for file in "${old[@]}"; do
  run rm -f -- "$file"
  echo "backup: removed $file (keeping $keep)"
done
