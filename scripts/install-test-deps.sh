#!/usr/bin/env bash
# Installs the Debian packages the test suites drive: PostgreSQL, certbot, lego, Pebble, openssl, haproxy, CA certificates, OpenSSH (server and client), nginx, Prometheus, Chromium, BIND, an SMTP server (aiosmtpd), and Patroni with etcd
# (`certainty lab`). Idempotent: when every command is already present it does nothing. Run as root
# on Debian/Ubuntu.
set -euo pipefail

packages=(postgresql certbot lego pebble openssl haproxy ca-certificates patroni etcd-server etcd-client nginx openssh-server openssh-client prometheus curl chromium bind9 bind9-utils python3-aiosmtpd)
# The commands those packages provide that the tests run.
commands=(certbot lego pebble openssl haproxy psql runuser patroni patronictl etcd etcdctl nginx sshd ssh ssh-keygen prometheus promtool curl chromium named dig)

log() { printf 'install-test-deps: %s\n' "$*"; }

# initdb is not on PATH on Debian; it lives in /usr/lib/postgresql/<version>/bin.
have_initdb() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

missing=()
for cmd in "${commands[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
have_initdb || missing+=(initdb)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
# Cluster commands run as this OS user when the tests run as root (initdb refuses root).
id -u postgres >/dev/null 2>&1 || missing+=('postgres user')
# The notification tests' SMTP server is a Python module, not a command.
python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)

if [ "${#missing[@]}" -eq 0 ]; then
  log "all test dependencies are present; nothing to install"
  exit 0
fi
log "missing: ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root to install: ${packages[*]}" >&2
  exit 1
fi

# The tests start their own PostgreSQL clusters and their own haproxy: keep the packages from
# creating a default cluster and from starting services during installation.
mkdir -p /etc/postgresql-common/createcluster.d
conf=/etc/postgresql-common/createcluster.d/certainty-tests.conf
if [ ! -f "$conf" ]; then
  log "writing $conf (create_main_cluster = false)"
  echo 'create_main_cluster = false' >"$conf"
fi
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  log "writing $policy so no service starts during installation"
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [ "$created_policy" -eq 1 ]; then
    log "removing $policy"
    rm -f "$policy"
  fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update
log "apt-get install -y --no-install-recommends ${packages[*]}"
apt-get install -y --no-install-recommends "${packages[@]}"

still_missing=()
for cmd in "${commands[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || still_missing+=("$cmd")
done
have_initdb || still_missing+=(initdb)
if [ "${#still_missing[@]}" -ne 0 ]; then
  log "still missing after installation: ${still_missing[*]}" >&2
  exit 1
fi
log "done"
