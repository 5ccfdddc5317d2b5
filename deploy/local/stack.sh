#!/usr/bin/env bash
# Local stack for development, tests and the demo: Redis, a MongoDB-wire server
# (mongod when on PATH, else FerretDB on PostgreSQL). Loopback only, own ports,
# data under .local/ (git-ignored). Every process is tracked by pid file and
# stopped by pid, never by name.
#
#   stack.sh start    start what is not running, print NAME=value lines
#   stack.sh stop     stop what this script started
#   stack.sh status   exit 0 when Redis and the MongoDB-wire server run
#
# When MONGODB_URI / REDIS_URL (or REDIS_SENTINELS) are already set, the matching
# service is not started and the given value is printed back.
#
# STACK_REDIS=sentinel starts Redis in the shape that survives losing its primary: a
# primary, a replica and three Sentinels (ports STACK_REDIS_PORT, +1, and +100..+102),
# and prints REDIS_SENTINELS / REDIS_SENTINEL_NAME instead of REDIS_URL. STACK_BIND
# (127.0.0.1) is the address every service listens on (a network namespace's, in the
# multi-host test); Redis reachable beyond loopback gets a password (STACK_REDIS_PASSWORD,
# or one made once and kept under .local/), printed as REDIS_PASSWORD / in REDIS_URL.
set -euo pipefail

LOG_TAG=stack
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN="$LOCAL/run"
REDIS_LOCAL_PORT="${STACK_REDIS_PORT:-16379}"
PG_LOCAL_PORT="${STACK_PG_PORT:-15432}"
MONGO_LOCAL_PORT="${STACK_MONGO_PORT:-17017}"
FERRETDB_VERSION="v1.24.2"
PG_USER="${STACK_PG_OS_USER:-postgres}"
BIND="${STACK_BIND:-127.0.0.1}"
REDIS_SHAPE="${STACK_REDIS:-single}"
SENTINEL_NAME="checkin"
SENTINEL_PORTS=($((REDIS_LOCAL_PORT + 100)) $((REDIS_LOCAL_PORT + 101)) $((REDIS_LOCAL_PORT + 102)))

alive() { # pidfile -> 0 when the recorded process runs
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

wait_port() { # port seconds name
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if (exec 3<>"/dev/tcp/$BIND/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$3 did not listen on $BIND:$1 within $2 s (see $LOGS)"
}

stop_pidfile() { # pidfile name
  local pid i
  alive "$1" || { rm -f "$1"; return 0; }
  pid="$(cat "$1")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
  log "stopped $2 (pid $pid)"
}

postgres_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
  done
  return 1
}

ferretdb_bin() {
  local candidate
  for candidate in "$TOOLS/bin/ferretdb" "$(command -v ferretdb 2>/dev/null || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] && { echo "$candidate"; return 0; }
  done
  return 1
}

# FerretDB's module archive lacks the version.txt its binary insists on.
ferretdb_version_file() {
  echo "$FERRETDB_VERSION" >"$1/build/version/version.txt"
}

install_ferretdb() {
  go_tool_build ferretdb github.com/FerretDB/FerretDB "$FERRETDB_VERSION" ./cmd/ferretdb ferretdb_version_file
}

# Empty on loopback; otherwise the password every Redis node and client uses.
redis_password() {
  [[ "$BIND" == 127.0.0.1 && -z "${STACK_REDIS_PASSWORD:-}" ]] && return 0
  if [[ -n "${STACK_REDIS_PASSWORD:-}" ]]; then echo "$STACK_REDIS_PASSWORD"; return 0; fi
  [[ -s "$LOCAL/redis-password" ]] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LOCAL/redis-password")
  cat "$LOCAL/redis-password"
}

redis_node() { # name port [redis-server options...]
  local name="$1" port="$2" conf
  shift 2
  alive "$RUN/$name.pid" && return 0
  mkdir -p "$LOCAL/$name"
  # The password goes in a file only its owner reads, never on the command line (ps shows that).
  conf="$LOCAL/$name/auth.conf"
  (umask 077 && : >"$conf")
  [[ -z "$REDIS_PASS" ]] || printf 'requirepass %s\nmasterauth %s\n' "$REDIS_PASS" "$REDIS_PASS" >"$conf"
  redis-server "$conf" --bind "$BIND" --port "$port" --dir "$LOCAL/$name" \
    --save "" --appendonly no --daemonize yes --pidfile "$RUN/$name.pid" \
    --logfile "$LOGS/$name.log" "$@" >/dev/null
  STARTED+=("$name")
  wait_port "$port" 10 "$name"
  log "$name on $BIND:$port"
}

# Sentinel rewrites its file as it learns, so each start writes a fresh one.
sentinel_node() { # index port
  local dir="$LOCAL/sentinel-$1"
  alive "$RUN/sentinel-$1.pid" && return 0
  apt_ensure redis-sentinel redis-sentinel
  mkdir -p "$dir"
  (umask 077 && : >"$dir/sentinel.conf")
  cat >"$dir/sentinel.conf" <<CONF
port $2
bind $BIND
daemonize yes
pidfile $RUN/sentinel-$1.pid
logfile $LOGS/sentinel-$1.log
dir $dir
sentinel monitor $SENTINEL_NAME $BIND $REDIS_LOCAL_PORT 2
sentinel down-after-milliseconds $SENTINEL_NAME 1000
sentinel failover-timeout $SENTINEL_NAME 4000
sentinel parallel-syncs $SENTINEL_NAME 1
CONF
  # Beyond loopback the Sentinels need a password of their own too: whoever can reach one could
  # otherwise reconfigure it (SENTINEL SET, FAILOVER) and point clients at a primary of theirs.
  [[ -z "$REDIS_PASS" ]] || printf 'sentinel auth-pass %s %s\nrequirepass %s\n' "$SENTINEL_NAME" "$REDIS_PASS" "$REDIS_PASS" >>"$dir/sentinel.conf"
  redis-sentinel "$dir/sentinel.conf" >/dev/null
  STARTED+=("sentinel-$1")
  wait_port "$2" 10 "sentinel $1"
}

start_redis() {
  if [[ -n "${REDIS_URL:-}" ]]; then echo "REDIS_URL=$REDIS_URL"; return; fi
  if [[ -n "${REDIS_SENTINELS:-}" ]]; then
    echo "REDIS_SENTINELS=$REDIS_SENTINELS"
    echo "REDIS_SENTINEL_NAME=${REDIS_SENTINEL_NAME:-$SENTINEL_NAME}"
    return
  fi
  apt_ensure redis-server redis-server
  REDIS_PASS="$(redis_password)"
  redis_node redis "$REDIS_LOCAL_PORT"
  if [[ "$REDIS_SHAPE" != sentinel ]]; then
    echo "REDIS_URL=redis://${REDIS_PASS:+:$REDIS_PASS@}$BIND:$REDIS_LOCAL_PORT"
    return
  fi
  redis_node redis-replica $((REDIS_LOCAL_PORT + 1)) --replicaof "$BIND" "$REDIS_LOCAL_PORT"
  local i list=()
  for i in 0 1 2; do
    sentinel_node $((i + 1)) "${SENTINEL_PORTS[i]}"
    list+=("$BIND:${SENTINEL_PORTS[i]}")
  done
  wait_sentinels
  (IFS=,; echo "REDIS_SENTINELS=${list[*]}")
  echo "REDIS_SENTINEL_NAME=$SENTINEL_NAME"
  [[ -z "$REDIS_PASS" ]] || { echo "REDIS_PASSWORD=$REDIS_PASS"; echo "REDIS_SENTINEL_PASSWORD=$REDIS_PASS"; }
}

redis_cli() { # redis-cli with the stack's password, kept off the command line
  if [[ -n "$REDIS_PASS" ]]; then REDISCLI_AUTH="$REDIS_PASS" redis-cli "$@"; else redis-cli "$@"; fi
}

# A Sentinel learns of the replica from the primary's INFO (every 10 s) and of the other
# Sentinels from their hellos (every 2 s). One that knows neither yet cannot fail over, and a
# primary lost in those first seconds would stay lost: the start returns once all three know both
# and the replica is in sync.
sentinels_ready() {
  local port info
  for port in "${SENTINEL_PORTS[@]}"; do
    info="$(redis_cli -h "$BIND" -p "$port" SENTINEL MASTER "$SENTINEL_NAME" 2>/dev/null | paste -sd' ')"
    [[ "$info" =~ num-slaves\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 1)) || return 1
    [[ "$info" =~ num-other-sentinels\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 2)) || return 1
  done
  redis_cli -h "$BIND" -p $((REDIS_LOCAL_PORT + 1)) INFO replication 2>/dev/null | grep -q "master_link_status:up"
}

wait_sentinels() {
  local i
  for ((i = 0; i < 300; i++)); do
    sentinels_ready && return 0
    sleep 0.1
  done
  die "the Sentinels did not learn of the replica and of each other within 30 s (see $LOGS/sentinel-*.log)"
}

stop_redis() {
  local name pid
  # Signalled together: a Sentinel takes a second or two to leave after a failover.
  for name in sentinel-1 sentinel-2 sentinel-3; do
    pid="$(cat "$RUN/$name.pid" 2>/dev/null)" && kill -TERM "$pid" 2>/dev/null || true
  done
  for name in sentinel-1 sentinel-2 sentinel-3 redis-replica redis; do
    stop_pidfile "$RUN/$name.pid" "$name"
  done
}

as_pg_user() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# Where PostgreSQL keeps its data and log. As root, initdb and the server run as the
# PostgreSQL user, who may not be able to enter this checkout (a clone under /root or any
# folder of mode 700): then they live in a folder of their own under /var/lib, one per
# checkout, and the user's folders keep their permissions. PG_DATA and PG_LOG are set.
pg_paths() {
  PG_DATA="$LOCAL/pg"
  PG_LOG="$LOGS/postgres.log"
  [[ "$(id -u)" == 0 ]] || return 0
  id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home "$PG_USER"
  mkdir -p "$LOCAL" "$LOGS"
  # `test -x` on the folder fails unless every folder above it can be entered too.
  if ! runuser -u "$PG_USER" -- test -x "$LOCAL" 2>/dev/null; then
    local home
    home="/var/lib/checkin-stack/$(printf '%s' "${CHECKIN_LOCAL_DIR:-$ROOT}" | sha256sum | cut -c1-12)"
    mkdir -p "$home" && chmod 755 "$home"
    PG_DATA="$home/pg"
    PG_LOG="$home/postgres.log"
    ln -sfn "$PG_LOG" "$LOGS/postgres.log"
  fi
}

start_postgres() {
  local bin
  bin="$(postgres_bin)" || { apt_ensure pg_ctlcluster postgresql; bin="$(postgres_bin)"; } || die "PostgreSQL not found after install"
  pg_paths
  local data="$PG_DATA"
  if [[ "$(id -u)" == 0 ]]; then
    mkdir -p "$data" && chown "$PG_USER" "$data" && chmod 700 "$data"
  fi
  if [[ ! -f "$data/PG_VERSION" ]]; then
    as_pg_user "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$LOGS/initdb.log" 2>&1 ||
      die "initdb failed (see $LOGS/initdb.log)"
  fi
  if ! as_pg_user "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    touch "$PG_LOG" && chown "$PG_USER" "$PG_LOG" 2>/dev/null || true
    # Local data is disposable, so durability is off unless STACK_PG_DURABLE=1 asks (the benchmark measures both).
    local durability="-c fsync=off -c synchronous_commit=off"
    [[ "${STACK_PG_DURABLE:-0}" == 1 ]] && durability="-c fsync=on -c synchronous_commit=on"
    as_pg_user "$bin/pg_ctl" -D "$data" -l "$PG_LOG" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $PG_LOCAL_PORT -k $data $durability -c max_connections=200" \
      >/dev/null || die "PostgreSQL did not start (see $PG_LOG)"
    log "postgresql on 127.0.0.1:$PG_LOCAL_PORT (${durability})"
    STARTED+=(postgres)
  fi
  head -1 "$data/postmaster.pid" >"$RUN/postgres.pid"
  as_pg_user "$bin/psql" -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='ferretdb'" | grep -q 1 ||
    as_pg_user "$bin/createdb" -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres ferretdb
  # FerretDB's own indexes cannot serve its equality queries; see the file for why and what.
  # STACK_FERRETDB_EQUALITY_INDEXES=0 leaves them out (to measure without).
  if [[ "${STACK_FERRETDB_EQUALITY_INDEXES:-1}" != 0 ]]; then
    as_pg_user "$bin/psql" -q -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d ferretdb -v ON_ERROR_STOP=1 \
      -f - <"$ROOT/deploy/local/sql/ferretdb-equality-indexes.sql" >/dev/null ||
      die "could not add the equality indexes to PostgreSQL (see $PG_LOG)"
  fi
}

start_mongo() {
  if [[ -n "${MONGODB_URI:-}" ]]; then echo "MONGODB_URI=$MONGODB_URI"; return; fi
  if ! alive "$RUN/mongo.pid"; then
    if command -v mongod >/dev/null; then
      mkdir -p "$LOCAL/mongod"
      mongod --bind_ip "$BIND" --port "$MONGO_LOCAL_PORT" --dbpath "$LOCAL/mongod" \
        --logpath "$LOGS/mongod.log" --fork --pidfilepath "$RUN/mongo.pid" >/dev/null
    else
      local fdb
      fdb="$(ferretdb_bin)" || { install_ferretdb; fdb="$(ferretdb_bin)"; }
      start_postgres
      # FerretDB holds one pooled connection while it reads a document to update or delete
      # and takes a second to write it back: with its default pool (50) fewer than two
      # instances' worth of concurrent updates can take every connection and wait for ever.
      nohup "$fdb" --listen-addr="$BIND:$MONGO_LOCAL_PORT" --handler=postgresql \
        --postgresql-url="postgres://postgres@127.0.0.1:$PG_LOCAL_PORT/ferretdb?pool_max_conns=180" \
        --debug-addr=- --telemetry=disable --log-level=warn --state-dir="$LOCAL" \
        >"$LOGS/ferretdb.log" 2>&1 &
      echo $! >"$RUN/mongo.pid"
    fi
    STARTED+=(mongo)
    wait_port "$MONGO_LOCAL_PORT" 30 "MongoDB-wire server"
    log "mongodb-wire server on $BIND:$MONGO_LOCAL_PORT"
  fi
  echo "MONGODB_URI=mongodb://$BIND:$MONGO_LOCAL_PORT/checkin"
}

# What this start launched; a start that fails half-way stops them again.
STARTED=()
undo_start() {
  local rc=$? i
  ((rc == 0)) && return 0
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    case "${STARTED[i]}" in
    mongo) stop_pidfile "$RUN/mongo.pid" "mongodb-wire server" ;;
    redis | redis-replica | sentinel-*) stop_pidfile "$RUN/${STARTED[i]}.pid" "${STARTED[i]}" ;;
    postgres) stop_postgres ;;
    esac
  done
  ((${#STARTED[@]} == 0)) || log "the start failed: stopped what it had started (${STARTED[*]})"
  return "$rc"
}

cmd_start() {
  mkdir -p "$RUN" "$LOGS"
  trap undo_start EXIT
  start_redis
  start_mongo
  trap - EXIT
}

stop_postgres() {
  [[ -f "$RUN/postgres.pid" ]] || return 0
  local bin
  pg_paths
  bin="$(postgres_bin)" && as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  stop_pidfile "$RUN/postgres.pid" postgresql
}

cmd_status() {
  local name missing=0
  for name in redis mongo; do
    alive "$RUN/$name.pid" || missing=1
  done
  return $missing
}

cmd_stop() {
  stop_pidfile "$RUN/mongo.pid" "mongodb-wire server"
  stop_redis
  stop_postgres
}

# PostgreSQL alone, stopped (FerretDB stays up and answers errors), or started again (with
# STACK_PG_DURABLE as now set); FerretDB reconnects by itself.
cmd_stop_postgres() {
  [[ -f "$RUN/postgres.pid" ]] || die "PostgreSQL is not running under this stack"
  local bin
  pg_paths
  bin="$(postgres_bin)" && as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
}

cmd_restart_postgres() {
  cmd_stop_postgres
  rm -f "$RUN/postgres.pid"
  start_postgres
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
stop-postgres) cmd_stop_postgres ;;
restart-postgres) cmd_restart_postgres ;;
*) die "usage: stack.sh start|stop|status|stop-postgres|restart-postgres" ;;
esac
