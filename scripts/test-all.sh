#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (PostgreSQL, certbot, lego, Pebble,
# OpenSSL, HAProxy, Patroni, etcd), installs the npm dependencies (whose postinstall patches the
# postgres.js driver: scripts/patch-postgres.mjs), then runs lint, typecheck and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
  bash scripts/install-test-deps.sh
else
  sudo bash scripts/install-test-deps.sh
fi

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== lint"
npm run lint
echo "== typecheck"
npm run typecheck
echo "== tests"
npm test
