#!/usr/bin/env bash
# A database cluster's passwords in the Certainty secrets store, with curl only.
#
#   secrets-cluster.sh init    PREFIX          generate the passwords (again = rotate them)
#   secrets-cluster.sh resolve PREFIX FILE     write them to FILE as an env file to source
#
# CERTAINTY_URL (https://host:port), CERTAINTY_TOKEN (init: a token that may create/update under
# PREFIX, e.g. an admin token; resolve: a read-only token such as "certainty secret token create
# deploy --prefix PREFIX --ttl 1h" prints) and CERTAINTY_CA (the root certificate, root.pem).
# Passwords are generated on the server from the shell-safe charset, so no $, quote, backtick or
# space can break a shell, a libpq conninfo or repmgr.conf; the env file quotes them anyway.
set -euo pipefail

usage() { echo "usage: $0 init PREFIX | resolve PREFIX FILE" >&2; exit 2; }
[ $# -ge 2 ] || usage
: "${CERTAINTY_URL:?set CERTAINTY_URL}" "${CERTAINTY_TOKEN:?set CERTAINTY_TOKEN}" "${CERTAINTY_CA:?set CERTAINTY_CA}"
prefix=$2
names=(postgres replication repmgr)

# One admin API call: the answer on stdout, or the server's problem document on stderr and exit 1.
api() {
  local out
  if ! out=$(curl --silent --show-error --fail-with-body --cacert "$CERTAINTY_CA" \
    -H "Authorization: Bearer $CERTAINTY_TOKEN" "$@" && printf x); then
    printf '%s\n' "${out%x}" >&2
    exit 1
  fi
  printf '%s' "${out%x}"
}

case $1 in
  init)
    for name in "${names[@]}"; do
      api -X POST -H 'Content-Type: application/json' \
        -d '{"field": "password", "length": 32, "charset": "shell-safe"}' \
        "$CERTAINTY_URL/admin/secrets/generate/${prefix}${name}" >/dev/null
      echo "generated ${prefix}${name}"
    done
    ;;
  resolve)
    [ $# -eq 3 ] || usage
    out=$3
    tmp="$out.tmp.$$"
    trap 'rm -f "$tmp"' EXIT
    umask 077
    : >"$tmp"
    for name in "${names[@]}"; do
      var=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
      api "$CERTAINTY_URL/admin/secrets/data/${prefix}${name}?format=env&field=password&prefix=${var}_" >>"$tmp"
    done
    mv "$tmp" "$out"
    trap - EXIT
    ;;
  *) usage ;;
esac
