#!/usr/bin/env bash
# Timestamped backup of the check-in database and this machine's configuration, with
# retention by age: the newest backup of each of the last days, weeks and months stay.
#   deploy/backup.sh [--dir DIR] [--daily N] [--weekly N] [--monthly N] [--dry-run]
# The database: the binary's own `export` (gzip JSON lines), the archive a restore can check
# whole before it writes, swap in at once, and that never holds accounts or tokens. The
# configuration: the env file, the port list and the Nginx files, beside it. Every file is
# mode 600 (they hold personal data and secrets), whatever the caller's umask.
# Settings (environment or /etc/checkin/checkin.env): BACKUP_DIR (/var/backups/checkin),
# BACKUP_KEEP_DAILY (7), BACKUP_KEEP_WEEKLY (4), BACKUP_KEEP_MONTHLY (12), and
# BACKUP_OFFSITE_COMMAND, run with each new file as its argument (for example
# "rclone copy --no-traverse {} remote:dir": {} stands for the file, which goes last when there
# is no {}): a copy that fails fails the backup.
# The systemd timer checkin-backup.timer runs it every day (02:00 by default).
set -euo pipefail
umask 077

OPS_NAME=backup
# shellcheck source=deploy/ops-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops-lib.sh"

dir="" daily="" weekly="" monthly=""
DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dir) dir="${2:?--dir needs a folder}"; shift 2 ;;
  --daily) daily="${2:?--daily needs a number}"; shift 2 ;;
  --weekly) weekly="${2:?--weekly needs a number}"; shift 2 ;;
  --monthly) monthly="${2:?--monthly needs a number}"; shift 2 ;;
  --keep) daily="${2:?--keep needs a number}"; shift 2 ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
load_env
dir="${dir:-${BACKUP_DIR:-/var/backups/checkin}}"
daily="${daily:-${BACKUP_KEEP_DAILY:-7}}" weekly="${weekly:-${BACKUP_KEEP_WEEKLY:-4}}"
monthly="${monthly:-${BACKUP_KEEP_MONTHLY:-12}}"
for n in "$daily" "$weekly" "$monthly"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "retention counts are whole numbers, got \"$n\""
done
((daily + weekly + monthly > 0)) || die "keeping no backup at all is not a retention"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
run install -d -m 700 "$dir"
target="$dir/checkin-$stamp.ndjson.gz"
# shellcheck disable=SC2086 # CHECKIN_BIN may be a command with arguments
run $CHECKIN export "$target"
run chmod 600 "$target"
echo "backup: $target"
config="$dir/checkin-config-$stamp.tar.gz"
configs=()
for path in "$CHECKIN_ETC/checkin.env" "$PORTS_FILE" "$NGINX_ARGS_FILE" "$NGINX_DIR" "$CHECKIN_ETC/alertmanager.yml"; do
  [[ -e "$path" ]] && configs+=("${path#/}")
done
if ((${#configs[@]} > 0)); then
  run tar -czf "$config" -C / "${configs[@]}"
  run chmod 600 "$config"
  echo "backup: $config"
fi

if [[ -n "${BACKUP_OFFSITE_COMMAND:-}" ]]; then
  for file in "$target" ${configs[@]:+"$config"}; do
    # The file goes where {} stands (rclone copy {} remote:dir: source first), else last.
    command_line="$BACKUP_OFFSITE_COMMAND"
    if [[ "$command_line" == *"{}"* ]]; then command_line="${command_line//\{\}/$file}"; else command_line+=" $file"; fi
    # shellcheck disable=SC2086 # the command is a command line, with its arguments
    run $command_line || die "the off-site copy of $file failed (BACKUP_OFFSITE_COMMAND)"
    echo "backup: copied $file off-site"
  done
fi

# Retention: a backup stays if it is the newest of its day among the last $daily days, of its
# week among the last $weekly weeks, or of its month among the last $monthly months.
# shellcheck disable=SC2012 # the names are ours: checkin-<UTC stamp>.ndjson.gz
mapfile -t all < <(ls -1 "$dir"/checkin-2*.ndjson.gz 2>/dev/null | sort -r)
declare -A seen_day=() seen_week=() seen_month=()
for file in "${all[@]}"; do
  name="$(basename "$file")"
  day="${name:8:8}"
  week="$(date -u -d "${day:0:4}-${day:4:2}-${day:6:2}" +%G-%V)"
  month="${day:0:6}"
  keepit=0
  if [[ -z "${seen_day[$day]:-}" ]] && ((${#seen_day[@]} < daily)); then seen_day[$day]=1; keepit=1; fi
  if [[ -z "${seen_week[$week]:-}" ]] && ((${#seen_week[@]} < weekly)); then seen_week[$week]=1; keepit=1; fi
  if [[ -z "${seen_month[$month]:-}" ]] && ((${#seen_month[@]} < monthly)); then seen_month[$month]=1; keepit=1; fi
  if ((keepit == 0)); then
    stamp_of="${name#checkin-}"
    run rm -f -- "$file" "$dir/checkin-config-${stamp_of%.ndjson.gz}.tar.gz"
    echo "backup: removed $file (outside ${daily} daily, ${weekly} weekly, ${monthly} monthly)"
  fi
done
