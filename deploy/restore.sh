#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh.
#   deploy/restore.sh FILE [--replace] [--dry-run]
# Without --replace the target collections must be empty. Restart the instances
# afterwards (systemctl restart checkin.target) so their caches are rebuilt.
set -euo pipefail

OPS_NAME=restore
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

file=""
replace=""
DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --replace) replace="--replace"; shift ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  -*) usage >&2; die "unknown option: $1" ;;
  *) [[ -z "$file" ]] || die "only one file, got \"$file\" and \"$1\""; file="$1"; shift ;;
  esac
done
[[ -n "$file" ]] || { usage >&2; die "which backup file?"; }
[[ -r "$file" ]] || die "cannot read $file"
load_env

case "$file" in
*.mongodump.gz)
  # A whole-database dump would bring back disabled accounts and revoked tokens, unchecked.
  die "$file is a mongodump of the whole database; restore.sh restores only checkin archives (.ndjson.gz, made by backup.sh)"
  ;;
*.ndjson.gz)
  # shellcheck disable=SC2086 # CHECKIN_BIN may be a command with arguments
  run $CHECKIN import "$file" $replace
  ;;
*) die "$file is not a checkin archive (.ndjson.gz, made by backup.sh)" ;;
esac
echo "restore: done from $file; the running instances were told and rebuild the doors' state themselves (restart them only if Redis was unreachable during the restore)"
