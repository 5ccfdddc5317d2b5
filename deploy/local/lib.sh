# shellcheck shell=bash
# Shared helpers for the local scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${CHECKIN_LOCAL_DIR:-$ROOT/.local}"
LOGS="$LOCAL/logs"
# Built tools may be shared by a stack kept elsewhere (the multi-host test runs one per namespace).
TOOLS="${CHECKIN_TOOLS_DIR:-$LOCAL/tools}"
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

# node_ensure: the pinned npm dependencies (Bun among them) from the lockfile, with
# the frozen install (`npm ci`): exactly what package-lock.json says, or a failure.
node_ensure() {
  if [[ ! -x "$ROOT/node_modules/.bin/bun" || "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
    log "installing npm dependencies"
    (cd "$ROOT" && npm ci --no-audit --no-fund >>"$LOGS/npm.log" 2>&1) || die "npm ci failed: package-lock.json does not match package.json? (see $LOGS/npm.log)"
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
}

# go_tool_build NAME MODULE VERSION PACKAGE [PREPARE_FN]: builds a Go tool into
# $TOOLS/bin/NAME through the Go module proxy. `go install MODULE/PACKAGE@VERSION`
# first; some proxies refuse the version list `go install` reads for its
# deprecation check, so the fallback downloads the module and builds it in place
# (PREPARE_FN gets the source folder first, for tools that need a generated file).
go_tool_build() {
  local name="$1" module="$2" version="$3" package="$4" prepare="${5:-}" dir src
  command -v go >/dev/null || die "Go is needed to build $name $version"
  mkdir -p "$TOOLS/bin"
  log "building $name $version (a few minutes, once)"
  if GOBIN="$TOOLS/bin" go install "$module/${package#./}@$version" >"$LOGS/$name-build.log" 2>&1 &&
    "$TOOLS/bin/$name" --version >/dev/null 2>&1; then
    return 0
  fi
  log "go install did not yield a working $name; building from the downloaded module"
  dir="$(GOPROXY="${GOPROXY:-https://proxy.golang.org}" go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir" ]] || die "could not download $module@$version (see $LOGS/$name-build.log)"
  src="$TOOLS/$name-src"
  rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  [[ -z "$prepare" ]] || "$prepare" "$src"
  (cd "$src" && go build -o "$TOOLS/bin/$name" "$package") >>"$LOGS/$name-build.log" 2>&1 ||
    die "building $name failed (see $LOGS/$name-build.log)"
  rm -rf "$src"
}

# k6_ensure: the load-test runner, k6 v2.2.0, on PATH.
k6_ensure() {
  if ! command -v k6 >/dev/null && [[ ! -x "$TOOLS/bin/k6" ]]; then
    go_tool_build k6 go.k6.io/k6/v2 v2.2.0 .
  fi
  export PATH="$TOOLS/bin:$PATH"
}

# stack_up: start the local stack (what is not running yet, nothing when MONGODB_URI /
# REDIS_URL are given) and export its connection strings; stack_down stops it again
# only if this run started it.
stack_up() {
  STACK_WAS_UP=0
  bash "$ROOT/deploy/local/stack.sh" status && STACK_WAS_UP=1
  local line stack_env
  stack_env="$(bash "$ROOT/deploy/local/stack.sh" start)"
  while IFS= read -r line; do
    # shellcheck disable=SC2163
    export "$line"
  done <<<"$stack_env"
}

stack_down() {
  [[ "${STACK_WAS_UP:-1}" == 1 ]] || bash "$ROOT/deploy/local/stack.sh" stop
}
