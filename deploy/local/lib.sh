# Shared helpers for the local scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${CHECKIN_LOCAL_DIR:-$ROOT/.local}"
LOGS="$LOCAL/logs"
mkdir -p "$LOGS"

log() { echo "${LOG_TAG:-checkin}: $*" >&2; }
die() { echo "${LOG_TAG:-checkin}: error: $*" >&2; exit 1; }

_apt_updated=0
# apt_ensure COMMAND PACKAGE: install PACKAGE from Debian unless COMMAND is already on PATH.
apt_ensure() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ "$(id -u)" == 0 ]] || die "$1 is missing; install Debian package $2 (needs root)"
  if [[ $_apt_updated == 0 ]]; then
    log "apt-get update"
    apt-get update -qq >>"$LOGS/apt.log" 2>&1 || die "apt-get update failed (see $LOGS/apt.log)"
    _apt_updated=1
  fi
  log "installing $2"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >>"$LOGS/apt.log" 2>&1 ||
    die "apt-get install $2 failed (see $LOGS/apt.log)"
}

# node_ensure: the pinned npm dependencies (Bun among them) from the lockfile.
# `npm install` rather than `npm ci`: npm 11 ci rejects lockfiles whose
# other-platform optional packages (Biome's, Bun's) were pruned; versions stay pinned.
node_ensure() {
  if [[ ! -x "$ROOT/node_modules/.bin/bun" || "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
    log "installing npm dependencies"
    (cd "$ROOT" && npm install --no-audit --no-fund >>"$LOGS/npm.log" 2>&1) || die "npm install failed (see $LOGS/npm.log)"
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
}
