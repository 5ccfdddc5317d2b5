# shellcheck shell=bash
# Shared by the operations scripts in deploy/ (sourced, not run).
# OPS_NAME names the script in messages.

# usage: the comment block at the top of the script.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
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
CHECKIN="${CHECKIN_BIN:-${CHECKIN_HOME:-/opt/checkin}/bin/checkin}"

# --- The installed layout (install.sh creates it; the other scripts read it) ---
CHECKIN_HOME="${CHECKIN_HOME:-/opt/checkin}"
CHECKIN_ETC="${CHECKIN_ETC:-/etc/checkin}"
NGINX_DIR="${CHECKIN_NGINX_DIR:-/etc/nginx/checkin}"
PORTS_FILE="$CHECKIN_ETC/ports"
NGINX_ARGS_FILE="$CHECKIN_ETC/nginx.args"
READY_TIMEOUT="${READY_TIMEOUT:-60}"

# load_ports: the instance ports from $PORTS_FILE ("3001 3002") into the array PORTS.
# (A function, not a $(…) subshell, so that a missing list stops the script.)
load_ports() {
  [[ -r "$PORTS_FILE" ]] || die "$PORTS_FILE is missing: run deploy/install.sh first"
  read -r -a PORTS <<<"$(tr -s ' ,\n' ' ' <"$PORTS_FILE")"
  ((${#PORTS[@]} > 0)) || die "$PORTS_FILE lists no ports"
  local port
  for port in "${PORTS[@]}"; do
    [[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) || die "$PORTS_FILE: \"$port\" is not a port (1024-65535)"
  done
}

# write_ports P...: the new list (sorted, unique).
write_ports() {
  local sorted
  sorted="$(printf '%s\n' "$@" | sort -n -u | tr '\n' ' ' | sed 's/ *$//')"
  if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: write \"$sorted\" to $PORTS_FILE"; else echo "$sorted" >"$PORTS_FILE"; fi
}

# frozen: the event-day freeze is on (EVENT_DAY_FREEZE, from the environment or the env
# file, read as true/1/yes/on in any case and quoting; or the file $CHECKIN_ETC/FREEZE).
frozen() {
  [[ -e "$CHECKIN_ETC/FREEZE" ]] && return 0
  local value="${EVENT_DAY_FREEZE:-}"
  if [[ -z "$value" && -r "$CHECKIN_ETC/checkin.env" ]]; then
    value="$(sed -n 's/^[[:space:]]*EVENT_DAY_FREEZE[[:space:]]*=//p' "$CHECKIN_ETC/checkin.env" | tail -n 1)"
  fi
  value="$(tr -d '"\r'"'" <<<"${value%%#*}" | tr '[:upper:]' '[:lower:]' | xargs)"
  [[ "$value" == true || "$value" == 1 || "$value" == yes || "$value" == on ]]
}

# ops_lock: one deploy, scale or install at a time.
ops_lock() {
  [[ "${DRY_RUN:-0}" == 1 ]] && return 0
  exec 9>"$CHECKIN_ETC/.ops.lock"
  flock -n 9 || die "another deploy, scale or install is running (lock $CHECKIN_ETC/.ops.lock)"
}

# reload_nginx: new workers take the new configuration; old ones finish their requests.
reload_nginx() {
  if command -v systemctl >/dev/null && systemctl cat nginx.service >/dev/null 2>&1; then
    run systemctl reload-or-restart nginx
  else
    run nginx -s reload
  fi
}

# render_nginx PORT... [--down P]: the upstream lists for these ports, checked with nginx -t
# before Nginx sees them (a rejected render puts the previous files back), then a reload.
render_nginx() {
  local -a ports=() extra=()
  while [[ $# -gt 0 && "$1" != --* ]]; do ports+=("$1"); shift; done
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    echo "dry-run: render $NGINX_DIR for ${ports[*]} $*; nginx -t; reload nginx"
    return 0
  fi
  [[ -r "$NGINX_ARGS_FILE" ]] && read -r -a extra <"$NGINX_ARGS_FILE"
  local backup
  backup="$(mktemp -d)"
  cp -a "$NGINX_DIR/." "$backup/" 2>/dev/null || true
  local csv
  csv="$(IFS=,; echo "${ports[*]}")"
  # shellcheck disable=SC2086 # CHECKIN may be a command with arguments
  if ! $CHECKIN nginx --ports "$csv" --out "$NGINX_DIR" "${extra[@]}" "$@" >/dev/null || ! nginx -t -q; then
    cp -a "$backup/." "$NGINX_DIR/"
    rm -rf "$backup"
    die "the new Nginx configuration was rejected; the previous files are back and Nginx runs unchanged"
  fi
  rm -rf "$backup"
  reload_nginx || die "Nginx did not reload (systemctl status nginx)"
}

# ready PORT: this instance's readiness answer is 200.
ready() { curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$1/api/v1/health/ready"; }

# wait_ready PORT [SECONDS]: true once ready, false after the bound.
wait_ready() {
  local port="$1" bound="${2:-$READY_TIMEOUT}"
  [[ "${DRY_RUN:-0}" == 1 ]] && { echo "dry-run: wait for 127.0.0.1:$port/api/v1/health/ready"; return 0; }
  local deadline=$((SECONDS + bound))
  while ((SECONDS < deadline)); do
    ready "$port" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}
