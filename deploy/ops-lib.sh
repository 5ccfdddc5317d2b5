# Shared by the operations scripts in deploy/ (sourced, not run).
# OPS_NAME names the script in messages.

# usage: the comment block at the top of the script (lines 2-5).
usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "${OPS_NAME}: error: $*" >&2; exit 1; }

# run: the command, or only its description with --dry-run (DRY_RUN=1).
run() { if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: $*"; else "$@"; fi; }

# load_env: MONGODB_URI and friends from the environment, else from the file the
# systemd units read.
load_env() {
  if [[ -z "${MONGODB_URI:-}" && -r /etc/checkin/checkin.env ]]; then
    set -a
    # shellcheck disable=SC1091
    source /etc/checkin/checkin.env
    set +a
  fi
  [[ -n "${MONGODB_URI:-}" ]] || die "MONGODB_URI is not set (environment or /etc/checkin/checkin.env)"
}

# The command that runs the binary; a string so tests can run the sources instead.
CHECKIN="${CHECKIN_BIN:-/opt/checkin/bin/checkin}"
