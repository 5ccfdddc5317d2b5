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

# --- Builds kept for rollback ---
# Every build that went live is kept as $RELEASES/<version>/checkin (a version is one build:
# a different file under a kept version is refused), and $RELEASES/history lists the
# versions that went live, in order. The newest CHECKIN_KEEP_BUILDS versions are kept.
RELEASES="$CHECKIN_HOME/releases"
KEEP_BUILDS="${CHECKIN_KEEP_BUILDS:-5}"

# keep_build FILE: keeps FILE as its version's build; sets KEPT (its path) and KEPT_VERSION.
keep_build() {
  local file="$1"
  KEPT_VERSION="$("$file" --version)" || die "$file --version failed: not a build that can start"
  [[ "$KEPT_VERSION" =~ ^[A-Za-z0-9._+-]+$ ]] || die "$file reports an unusable version: $KEPT_VERSION"
  KEPT="$RELEASES/$KEPT_VERSION/checkin"
  if [[ "${DRY_RUN:-0}" == 1 && ! -e "$KEPT" ]]; then
    echo "dry-run: keep $file as $KEPT"
    KEPT="$file"
  elif [[ -e "$KEPT" ]]; then
    cmp -s "$file" "$KEPT" || die "another build is already kept as $KEPT_VERSION: give each build its own version (npm run build labels it with the commit and the time; by hand: bun build --compile --define CHECKIN_BUILD='\"label\"' ...)"
  else
    run install -d -m 755 "$RELEASES/$KEPT_VERSION"
    run install -m 755 "$file" "$KEPT"
  fi
}

# went_live VERSION: recorded in the history.
went_live() {
  if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: record $1 in $RELEASES/history"; return 0; fi
  echo "$1" >>"$RELEASES/history"
}

# live_before VERSION: the last version live before VERSION (empty when none).
live_before() {
  [[ -r "$RELEASES/history" ]] || return 0
  grep -vxF "$1" "$RELEASES/history" | tail -n 1
}

# kept_versions: the versions kept, newest live first.
kept_versions() {
  [[ -r "$RELEASES/history" ]] || return 0
  tac "$RELEASES/history" | awk '!seen[$0]++' | while read -r v; do [[ -x "$RELEASES/$v/checkin" ]] && echo "$v"; done
}

# prune_builds: only the newest KEEP_BUILDS versions live stay kept (at least the current and the one before).
prune_builds() {
  [[ "${DRY_RUN:-0}" == 1 || ! -d "$RELEASES" ]] && return 0
  local keep=$((KEEP_BUILDS < 2 ? 2 : KEEP_BUILDS)) dir
  local -a newest=()
  mapfile -t newest < <(kept_versions | head -n "$keep")
  for dir in "$RELEASES"/*/; do
    local v
    v="$(basename "$dir")"
    printf '%s\n' "${newest[@]}" | grep -qxF "$v" || rm -rf "$dir"
  done
}

# switch_to BUILD: makes the kept build BUILD the live one, instance by instance: out of
# Nginx, restart, wait for /ready, back in. If one is not ready within READY_TIMEOUT, every
# instance already switched goes back to the build that was live, the same way, the
# failed build is kept as checkin.failed, and the script exits 1.
switch_to() {
  local build="$1" current="$CHECKIN_HOME/bin/checkin"
  local new_version old_version
  new_version="$("$build" --version)"
  load_ports
  [[ -x "$current" || "${DRY_RUN:-0}" == 1 ]] || die "no live build at $current: run deploy/install.sh first"
  old_version="$("$current" --version 2>/dev/null || echo unknown)"
  # The build live now is kept first, so there is always one to come back to.
  local previous_build="$current"
  if [[ -x "$current" ]]; then
    keep_build "$current"
    previous_build="$KEPT"
  fi
  echo "$OPS_NAME: $old_version -> $new_version on ports ${PORTS[*]}"
  # Cut off half-way (a dropped SSH session, Ctrl-C), no instance stays marked down in Nginx;
  # running the same deploy again finishes it (deploy.sh).
  trap 'trap - EXIT; render_nginx "${PORTS[@]}" >/dev/null 2>&1 || true' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Renames only: an instance still running keeps the file it started from.
  run install -m 755 "$build" "$current.new"
  run mv -f "$current.new" "$current"
  # Until the new build has proved itself, the one known to work renders the Nginx files.
  CHECKIN="$previous_build"
  local -a updated=()
  local port
  for port in "${PORTS[@]}"; do
    updated+=("$port")
    if ! restart_one "$port"; then
      set +e
      echo "$OPS_NAME: checkin@$port not ready within ${READY_TIMEOUT}s; rolling back ${updated[*]} to $old_version" >&2
      run cp -p "$current" "$CHECKIN_HOME/bin/checkin.failed"
      run install -m 755 "$previous_build" "$current.new" && run mv -f "$current.new" "$current"
      local back
      for back in "${updated[@]}"; do
        restart_one "$back" || echo "$OPS_NAME: checkin@$back is not ready on $old_version either" >&2
      done
      render_nginx "${PORTS[@]}"
      die "rolled back to $old_version; the failed build is kept as $CHECKIN_HOME/bin/checkin.failed"
    fi
    echo "$OPS_NAME: checkin@$port ready on $new_version"
  done
  CHECKIN="$current"
  render_nginx "${PORTS[@]}"
  trap - EXIT HUP INT TERM
  went_live "$new_version"
  prune_builds
  echo "$OPS_NAME: done; $new_version on ports ${PORTS[*]} (back with deploy/rollback.sh: $(live_before "$new_version"))"
}

# restart_one PORT: out of Nginx (when others can serve), restart, wait for /ready, back in.
restart_one() {
  local port="$1"
  if ((${#PORTS[@]} > 1)); then render_nginx "${PORTS[@]}" --down "$port"; fi
  # A crash-looping unit may have hit its start limit; that must not block the restart.
  run systemctl reset-failed "checkin@$port" 2>/dev/null || true
  run systemctl restart "checkin@$port" && wait_ready "$port"
}

# write_targets PORT...: Prometheus' file-based discovery of the instances (scraped
# directly on loopback), rewritten whenever the port list changes.
TARGETS_FILE="${CHECKIN_TARGETS_FILE:-$CHECKIN_ETC/prometheus-targets.json}"
write_targets() {
  local json port sep=""
  json='[{"labels":{"job":"checkin"},"targets":['
  for port in $(printf '%s\n' "$@" | sort -n -u); do json+="$sep\"127.0.0.1:$port\""; sep=","; done
  json+=']}]'
  if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: write $json to $TARGETS_FILE"; return 0; fi
  printf '%s\n' "$json" >"$TARGETS_FILE.new" && chmod 644 "$TARGETS_FILE.new" && mv -f "$TARGETS_FILE.new" "$TARGETS_FILE"
}

# render_alertmanager OUT: the Alertmanager configuration from deploy/alertmanager's
# template and the ALERT_* settings (environment, else the env file), placeholders where
# unset; checked with amtool when it is installed.
render_alertmanager() {
  local out="$1" template
  template="$(dirname "${BASH_SOURCE[0]}")/alertmanager/alertmanager.yml.tmpl"
  local key value
  local -a sed_args=()
  for key in ALERT_WEBHOOK_URL ALERT_EMAIL_TO ALERT_EMAIL_FROM ALERT_SMTP ALERT_SMTP_TLS ALERT_GROUP_WAIT; do
    value="${!key:-}"
    if [[ -z "$value" && -r "$CHECKIN_ETC/checkin.env" ]]; then
      value="$(sed -n "s/^[[:space:]]*${key}[[:space:]]*=//p" "$CHECKIN_ETC/checkin.env" | tail -n 1 | tr -d '"\r'"'")"
    fi
    case "$key" in
    ALERT_WEBHOOK_URL) value="${value:-http://127.0.0.1:9095/alerts}" ;;
    ALERT_EMAIL_TO) value="${value:-oncall@example.org}" ;;
    ALERT_EMAIL_FROM) value="${value:-alerts@example.org}" ;;
    ALERT_SMTP) value="${value:-localhost:25}" ;;
    ALERT_SMTP_TLS) value="${value:-false}" ;;
    ALERT_GROUP_WAIT) value="${value:-30s}" ;;
    esac
    [[ "$value" != *"|"* ]] || die "$key must not contain |"
    # In a sed replacement & is the matched text and \ escapes: both are taken literally.
    value="${value//\\/\\\\}"
    value="${value//&/\\&}"
    sed_args+=(-e "s|{{$key}}|$value|g")
  done
  if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: render $template into $out"; return 0; fi
  sed "${sed_args[@]}" "$template" >"$out.new"
  if command -v amtool >/dev/null && ! amtool check-config "$out.new" >/dev/null; then
    rm -f "$out.new"
    die "the rendered Alertmanager configuration is invalid (amtool check-config): check the ALERT_* settings"
  fi
  chmod 640 "$out.new" || die "cannot set the mode of $out.new"
  # Alertmanager runs as prometheus (Debian): it reads its configuration through the group.
  if getent group prometheus >/dev/null; then chgrp prometheus "$out.new" || die "cannot give $out.new to group prometheus"; fi
  mv -f "$out.new" "$out"
}

# render_redis OUT: the production Redis settings (deploy/redis) with the password taken
# from REDIS_URL (redis://:PASSWORD@127.0.0.1:6379) and REDIS_MAXMEMORY (1gb by default).
render_redis() {
  local out="$1" template password maxmemory
  template="$(dirname "${BASH_SOURCE[0]}")/redis/checkin.conf.tmpl"
  password="$(sed -n 's|^redis://[^:@/]*:\([^@/]*\)@.*$|\1|p' <<<"${REDIS_URL:-}")"
  [[ -n "$password" ]] || die "REDIS_URL carries no password (redis://:PASSWORD@127.0.0.1:6379): Redis must require one"
  [[ "$password" != *CHANGE_ME* ]] || die "REDIS_URL still has the example's password: choose one"
  [[ "$password" =~ ^[A-Za-z0-9._~-]{16,}$ ]] || die "the Redis password must be 16 or more letters, digits or ._~-"
  maxmemory="${REDIS_MAXMEMORY:-1gb}"
  [[ "$maxmemory" =~ ^[0-9]+(kb|mb|gb)$ ]] || die "REDIS_MAXMEMORY must look like 1gb or 512mb"
  if [[ "${DRY_RUN:-0}" == 1 ]]; then echo "dry-run: render $template into $out"; return 0; fi
  sed -e "s|{{REDIS_PASSWORD}}|$password|" -e "s|{{REDIS_MAXMEMORY}}|$maxmemory|" "$template" >"$out.new"
  chmod 640 "$out.new" && mv -f "$out.new" "$out"
}
