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

# ports: the instance ports, one list in $PORTS_FILE ("3001 3002").
ports() {
  [[ -r "$PORTS_FILE" ]] || die "$PORTS_FILE is missing: run deploy/install.sh first"
  local list
  list="$(tr -s ' ,\n' ' ' <"$PORTS_FILE" | sed 's/^ *//; s/ *$//')"
  [[ -n "$list" ]] || die "$PORTS_FILE lists no ports"
  echo "$list"
}

# write_ports P...: the new list (sorted, unique).
write_ports() {
  local sorted
  sorted="$(printf '%s\n' "$@" | sort -n -u | tr '\n' ' ' | sed 's/ *$//')"
  if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: write \"$sorted\" to $PORTS_FILE"; else echo "$sorted" >"$PORTS_FILE"; fi
}

# reload_nginx: new workers take the new configuration; old ones finish their requests.
reload_nginx() {
  if command -v systemctl >/dev/null && systemctl cat nginx.service >/dev/null 2>&1; then
    run systemctl reload-or-restart nginx
  else
    run nginx -s reload
  fi
}

# render_nginx [--down P]: regenerate the upstream lists from $PORTS_FILE, check, reload.
# shellcheck disable=SC2120 # the --down argument is optional
render_nginx() {
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    echo "dry-run: render $NGINX_DIR from $PORTS_FILE $*; nginx -t; reload nginx"
    return 0
  fi
  local csv
  csv="$(ports | tr ' ' ',')"
  local -a extra=()
  [[ -r "$NGINX_ARGS_FILE" ]] && read -r -a extra <"$NGINX_ARGS_FILE"
  # shellcheck disable=SC2086 # CHECKIN may be a command with arguments
  run $CHECKIN nginx --ports "$csv" --out "$NGINX_DIR" "${extra[@]}" "$@" >/dev/null
  run nginx -t -q || die "nginx -t rejected the new configuration; Nginx keeps the running one"
  reload_nginx
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
