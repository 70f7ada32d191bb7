#!/usr/bin/env bash
# `make run`: development certificates, the embedded database, migrations,
# an admin token and the demo tenant on first run (DEMO=0 skips the demo),
# then the server on https://localhost:8443.
# The database keeps running after the server stops: `build/release/slattest db stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/slattest
var="${SLATTEST_PATHS_VAR:-var}"

scripts/dev-certs.sh "$var/certs"
"$bin" db start
"$bin" migrate

if [ ! -s "$var/admin-token" ]; then
  (umask 077; "$bin" token issue --role admin --label "make run" > "$var/admin-token")
  echo
  echo "An admin token was issued and saved in $var/admin-token (mode 0600)."
  # A token is a secret: shown once, and only on a terminal (never into a log).
  if [ -t 1 ]; then
    echo "  $(cat "$var/admin-token")"
  fi
fi
if [ "${DEMO:-1}" != 0 ]; then
  scripts/demo.sh
fi
cat <<MSG

slattest is starting on https://localhost:8443 (Ctrl-C stops it). Try:
  curl --cacert $var/certs/ca.pem https://localhost:8443/readyz
  curl --cacert $var/certs/ca.pem -H "Authorization: Bearer \$(cat $var/admin-token)" \\
       https://localhost:8443/v1/tenants

MSG
exec "$bin" serve
