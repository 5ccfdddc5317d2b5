#!/usr/bin/env bash
# Installs the check-in cluster on this machine, or brings units and Nginx site up to date;
# safe to run again.
#   deploy/install.sh --binary FILE [--ports 3001,3002] [--server-name NAME | --listen ADDR]
#                     [--limits production|load-test] [--start] [--dry-run]
# Creates the checkin user and folders, installs the first binary (later builds go through
# deploy.sh), the systemd units, the environment file template (mode 600, never
# overwritten) and the Nginx site. The port list is set once; scale.sh changes it.
# --server-name: TLS site with certbot paths; --listen ADDR: plain HTTP on ADDR (behind
# another TLS terminator, or for tests). --limits: Nginx's per-address flood ceilings,
# production (the default, sized for a venue behind one NAT) or load-test (for a load
# generator on one address). --start: enable and start the instances now. Nginx's
# worker_connections is raised to NGINX_WORKER_CONNECTIONS (4096 by default: a proxied
# WebSocket holds two connections, and the guide plans 1,000 to 2,000 of them).
set -euo pipefail

OPS_NAME=install
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/ops-lib.sh
source "$here/ops-lib.sh"

binary="" port_list="" server_name="" listen="" limits="production" start=0 DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --binary) binary="${2:?--binary needs a file}"; shift 2 ;;
  --ports) port_list="${2:?--ports needs a list like 3001,3002}"; shift 2 ;;
  --server-name) server_name="${2:?--server-name needs a host name}"; shift 2 ;;
  --listen) listen="${2:?--listen needs an address like 0.0.0.0:80}"; shift 2 ;;
  --limits) limits="${2:?--limits needs production or load-test}"; shift 2 ;;
  --start) start=1; shift ;;
  --dry-run) DRY_RUN=1; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ -n "$binary" ]] || { usage >&2; die "--binary is required"; }
[[ -x "$binary" ]] || die "$binary is not an executable file"
[[ -z "$server_name" || -z "$listen" ]] || die "choose --server-name (TLS) or --listen (plain HTTP), not both"
[[ "$limits" == production || "$limits" == load-test ]] || die "--limits must be production or load-test"
# TLS needs its certificates before Nginx can load the site: say so before anything changes.
if [[ -n "$server_name" && "$DRY_RUN" != 1 && ! -r "/etc/letsencrypt/live/$server_name/fullchain.pem" ]]; then
  die "no certificate for $server_name in /etc/letsencrypt/live/$server_name: get one first (certbot certonly --standalone -d $server_name), or install with --listen behind another TLS terminator"
fi
[[ -z "$port_list" || "$port_list" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--ports must look like 3001,3002"
[[ $EUID -eq 0 || "$DRY_RUN" == 1 ]] || die "run as root (it creates a user and writes /etc)"
if [[ -e "$PORTS_FILE" && -n "$port_list" ]]; then
  [[ "$(tr -s ' ,\n' ',' <"$PORTS_FILE" | sed 's/,$//')" == "$port_list" ]] ||
    die "the cluster already runs on $(cat "$PORTS_FILE"); change it with deploy/scale.sh, not --ports"
fi
version="$("$binary" --version)" || die "$binary --version failed: is it a check-in build for this machine?"
systemd_dir="$(cd "$here/../systemd" && pwd)"

if ! id checkin >/dev/null 2>&1; then
  run useradd --system --home-dir /var/lib/checkin --no-create-home --shell /usr/sbin/nologin checkin
fi
run install -d -m 755 "$CHECKIN_HOME" "$CHECKIN_HOME/bin"
run install -d -m 750 -o checkin -g checkin /var/lib/checkin
# Searchable by all: Prometheus and Alertmanager (user prometheus on Debian) read their files
# here; the secrets are in files only their owners read (checkin.env 600, alertmanager.yml 640).
run install -d -m 755 "$CHECKIN_ETC"
ops_lock
run install -d -m 755 "$NGINX_DIR"

# The first binary; a new build on a running cluster goes through deploy.sh (rolling, with
# rollback and the event-day freeze), never through a re-install.
if [[ ! -e "$CHECKIN_HOME/bin/checkin" ]]; then
  run install -m 755 "$binary" "$CHECKIN_HOME/bin/checkin"
  keep_build "$binary"
  went_live "$KEPT_VERSION"
elif ! cmp -s "$binary" "$CHECKIN_HOME/bin/checkin"; then
  die "$CHECKIN_HOME/bin/checkin is another build: install it with deploy/deploy.sh --binary $binary"
fi

run install -m 644 "$systemd_dir/checkin@.service" "$systemd_dir/checkin.target" /etc/systemd/system/
# Memory and CPU per instance, when the env file says other than the unit's 2G and 150%.
unit_limits=""
for setting in CHECKIN_MEMORY_MAX:MemoryMax CHECKIN_CPU_QUOTA:CPUQuota; do
  value="$(sed -n "s/^[[:space:]]*${setting%%:*}[[:space:]]*=//p" "$CHECKIN_ETC/checkin.env" 2>/dev/null | tail -n 1 | tr -d '"\r'"'")"
  [[ -z "$value" ]] || unit_limits+="${setting##*:}=$value"$'\n'
done
if [[ -n "$unit_limits" ]]; then
  run install -d -m 755 /etc/systemd/system/checkin@.service.d
  if [[ "$DRY_RUN" == 1 ]]; then echo "dry-run: write limits $unit_limits"; else printf '[Service]\n%s' "$unit_limits" >/etc/systemd/system/checkin@.service.d/limits.conf; fi
fi
# The operations scripts the timers run, beside the binary.
run install -d -m 755 "$CHECKIN_HOME/deploy" "$CHECKIN_HOME/deploy/alertmanager"
run install -m 755 "$here"/*.sh "$CHECKIN_HOME/deploy/"
run install -m 644 "$here/alertmanager/alertmanager.yml.tmpl" "$CHECKIN_HOME/deploy/alertmanager/"
# Backups every day (BACKUP_AT, 02:00:00 by default), files mode 600.
run install -m 644 "$systemd_dir/checkin-backup.service" /etc/systemd/system/
backup_at="$(sed -n 's/^[[:space:]]*BACKUP_AT[[:space:]]*=//p' "$CHECKIN_ETC/checkin.env" 2>/dev/null | tail -n 1 | tr -d '"\r'"'")"
backup_at="${backup_at:-02:00:00}"
[[ "$backup_at" =~ ^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$ ]] || die "BACKUP_AT must be a time such as 02:00:00, got \"$backup_at\""
if [[ "$DRY_RUN" == 1 ]]; then
  echo "dry-run: install checkin-backup.timer at $backup_at"
else
  sed "s/^OnCalendar=.*/OnCalendar=*-*-* $backup_at/" "$systemd_dir/checkin-backup.timer" >/etc/systemd/system/checkin-backup.timer
fi
if [[ ! -e "$CHECKIN_ETC/checkin.env" ]]; then
  run install -m 600 "$systemd_dir/checkin.env.example" "$CHECKIN_ETC/checkin.env"
  echo "install: edit $CHECKIN_ETC/checkin.env (MONGODB_URI, REDIS_URL, JWT_SECRET) before starting"
fi

# Redis on this machine gets the production settings (password, loopback, ceiling without
# eviction, AOF, pub/sub limits); a managed Redis elsewhere is left to its provider.
load_env
if [[ "${REDIS_URL:-}" =~ ^redis://[^@]*@(127\.0\.0\.1|localhost)(:[0-9]+)?(/.*)?$ ]] && [[ -d /etc/redis ]]; then
  redis_before="$(cat /etc/redis/checkin.conf 2>/dev/null || true)"
  if ! (render_redis /etc/redis/checkin.conf); then
    echo "install: warning: Redis keeps its settings until REDIS_URL carries a real password; run install.sh again then" >&2
  elif [[ "$DRY_RUN" == 1 ]]; then
    echo "dry-run: include /etc/redis/checkin.conf in /etc/redis/redis.conf; restart redis-server"
  else
    chown root:redis /etc/redis/checkin.conf 2>/dev/null || true
    included=1
    grep -qx "include /etc/redis/checkin.conf" /etc/redis/redis.conf || {
      echo "include /etc/redis/checkin.conf" >>/etc/redis/redis.conf
      included=0
    }
    # Restarted only when its settings changed: a restart drops the doors' state (503s in
    # strict mode while it is rebuilt), and install.sh is meant to be run again safely.
    if [[ "$included" == 0 || "$redis_before" != "$(cat /etc/redis/checkin.conf)" ]]; then
      systemctl restart redis-server || die "redis-server did not restart with /etc/redis/checkin.conf (journalctl -u redis-server)"
    else
      echo "install: Redis settings unchanged; redis-server left running"
    fi
  fi
fi

# Alerts by severity (deploy/alertmanager), from the ALERT_* settings of the env file; point
# Alertmanager at it (Debian: ARGS="--config.file=/etc/checkin/alertmanager.yml").
render_alertmanager "$CHECKIN_ETC/alertmanager.yml"

if [[ -n "$port_list" ]]; then
  IFS=, read -r -a all_ports <<<"$port_list"
elif [[ -e "$PORTS_FILE" ]]; then
  load_ports
  all_ports=("${PORTS[@]}")
else
  all_ports=(3001 3002)
fi
write_ports "${all_ports[@]}"
write_targets "${all_ports[@]}"
if [[ -n "$server_name" ]]; then
  args="--mode production --server-name $server_name --limits $limits"
elif [[ -n "$listen" ]]; then
  args="--mode local --listen $listen --access-log /var/log/nginx/checkin.access.log --limits $limits --status on"
  # Debian's default site answers every name on port 80 that no other site claims, doors'
  # requests for the venue's address among them: it goes (its file stays in sites-available).
  if [[ -L /etc/nginx/sites-enabled/default ]]; then
    run rm -f /etc/nginx/sites-enabled/default
    echo "install: disabled Nginx's default site (/etc/nginx/sites-enabled/default): it would have answered the doors"
  fi
elif [[ -e "$NGINX_ARGS_FILE" ]]; then
  args="$(cat "$NGINX_ARGS_FILE")"
else
  die "first install: say --server-name NAME (TLS) or --listen ADDR (plain HTTP)"
fi
if [[ "$DRY_RUN" == 1 ]]; then echo "dry-run: write \"$args\" to $NGINX_ARGS_FILE"; else echo "$args" >"$NGINX_ARGS_FILE"; fi
# Enough connections for the planned WebSockets (each proxied one holds two).
workers="${NGINX_WORKER_CONNECTIONS:-4096}"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "NGINX_WORKER_CONNECTIONS must be a whole number"
if [[ "$DRY_RUN" == 1 ]]; then
  echo "dry-run: worker_connections $workers in /etc/nginx/nginx.conf"
elif [[ -w /etc/nginx/nginx.conf ]]; then
  sed -i "s/^\([[:space:]]*worker_connections\)[[:space:]]\+[0-9]\+;/\1 $workers;/" /etc/nginx/nginx.conf
  grep -q "^worker_rlimit_nofile" /etc/nginx/nginx.conf ||
    sed -i "1i worker_rlimit_nofile $((workers * 2));" /etc/nginx/nginx.conf
fi
site=/etc/nginx/conf.d/checkin.conf
if [[ "$DRY_RUN" == 1 ]]; then
  echo "dry-run: write $site including $NGINX_DIR/checkin.conf"
else
  echo "# Installed by deploy/install.sh: the check-in cluster (rendered by \`checkin nginx\`)." >"$site"
  echo "include $NGINX_DIR/checkin.conf;" >>"$site"
fi

run systemctl daemon-reload
units=()
for port in "${all_ports[@]}"; do units+=("checkin@$port.service"); done
run systemctl enable checkin.target "${units[@]}"
run systemctl enable --now checkin-backup.timer
if [[ "$start" == 1 ]]; then
  run systemctl start "${units[@]}"
  for port in "${all_ports[@]}"; do
    wait_ready "$port" || die "checkin@$port did not become ready within ${READY_TIMEOUT}s (journalctl -u checkin@$port)"
  done
fi
# A site Nginx refuses is not left included (the next reload would fail on it).
if ! (render_nginx "${all_ports[@]}"); then
  [[ "$DRY_RUN" == 1 ]] || rm -f "$site"
  die "Nginx refused the site; its include was removed and Nginx runs as before"
fi
echo "install: checkin $version installed for ports ${all_ports[*]}"
