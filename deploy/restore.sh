#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh.
#   deploy/restore.sh FILE [--replace] [--dry-run]
# Without --replace the target collections must be empty. Restart the instances
# afterwards (systemctl restart checkin.target) so their caches are rebuilt.
set -euo pipefail

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "restore: error: $*" >&2; exit 1; }

file=""
replace=""
dry_run=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --replace) replace="--replace"; shift ;;
  --dry-run) dry_run=1; shift ;;
  -h | --help) usage; exit 0 ;;
  -*) usage >&2; die "unknown option: $1" ;;
  *) [[ -z "$file" ]] || die "only one file, got \"$file\" and \"$1\""; file="$1"; shift ;;
  esac
done
[[ -n "$file" ]] || { usage >&2; die "which backup file?"; }
[[ -r "$file" ]] || die "cannot read $file"
if [[ -z "${MONGODB_URI:-}" && -r /etc/checkin/checkin.env ]]; then
  set -a; source /etc/checkin/checkin.env; set +a
fi
[[ -n "${MONGODB_URI:-}" ]] || die "MONGODB_URI is not set (environment or /etc/checkin/checkin.env)"
checkin="${CHECKIN_BIN:-/opt/checkin/bin/checkin}"
run() { if [[ $dry_run == 1 ]]; then echo "dry-run: $*"; else "$@"; fi; }

case "$file" in
*.mongodump.gz)
  command -v mongorestore >/dev/null || die "$file needs mongorestore, which is not installed"
  run mongorestore --uri="$MONGODB_URI" --archive="$file" --gzip ${replace:+--drop}
  ;;
*.ndjson.gz)
  # shellcheck disable=SC2086 # CHECKIN_BIN may be a command with arguments
  run $checkin import "$file" $replace
  ;;
*) die "$file is neither a .mongodump.gz nor a .ndjson.gz backup" ;;
esac
echo "restore: done from $file; restart the instances (systemctl restart checkin.target)"
