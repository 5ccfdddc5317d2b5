#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts the
# local stack (unless MONGODB_URI / REDIS_URL point elsewhere), then lint, type
# check and every test against the real servers. Exits non-zero on any failure.
set -euo pipefail
LOG_TAG="test"
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

node_ensure
apt_ensure nginx nginx-light
apt_ensure promtool prometheus
apt_ensure amtool prometheus-alertmanager
apt_ensure openssl openssl
apt_ensure chromium chromium
apt_ensure systemd-analyze systemd
apt_ensure shellcheck shellcheck
apt_ensure debootstrap debootstrap
apt_ensure redis-sentinel redis-sentinel
# The multi-host suite builds hosts from network namespaces and asks them with curl.
apt_ensure ip iproute2
apt_ensure curl curl
k6_ensure

stack_up
trap stack_down EXIT

log "lint (biome)"
biome check .
log "type check (tsc)"
tsc --noEmit -p .
log "XSS scan of the views (every user-visible string escaped)"
xss-scan
log "tests (bun test)"
bun test --timeout 120000 "$@"
