#!/usr/bin/env bash
# The demo: a tenant with a generated month of contacts (seeded, so every run
# makes the same data), a contract, and its signed client and internal
# workbooks; then the tokens, download URLs and the openssl command that
# verifies them.  Runs once per var directory (make run calls it on its first
# run; DEMO=0 skips it).  Needs the database running and migrated.
# The tokens are secrets: kept in $var/demo/tokens (mode 0600) and shown
# once, on the first run, only when standard output is a terminal (so they
# never end up in a log); the guide (README.txt) names the file instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/slattest
var="${SLATTEST_PATHS_VAR:-var}"
dir="$var/demo"
[ -f "$dir/.done" ] && { cat "$dir/README.txt"; exit 0; }
mkdir -p "$dir"
chmod 700 "$dir"

echo "demo: generating a month of contacts (N=${DEMO_N:=20000}, seed 7)"
N="$DEMO_N" SEED=7 /usr/bin/python3 bench/ingest --csv-only "$dir/contacts-2026-10.csv" >/dev/null
"$bin" tenant add demo --name "Demo Insurance" --tz Asia/Shanghai >/dev/null 2>&1 || true
"$bin" contract demo scripts/demo/contract.json
"$bin" ingest demo "$dir/contacts-2026-10.csv" | grep -E '"(rows|inserted|rejected)"'
"$bin" report demo --period 2026-10 --template client-monthly -o "$dir/demo-client-2026-10.xlsx"
"$bin" report demo --period 2026-10 --template internal-monthly -o "$dir/demo-internal-2026-10.xlsx"
manager=$("$bin" token issue --role manager --tenant demo --label demo 2>/dev/null)
client=$("$bin" token issue --role client --tenant demo --label demo 2>/dev/null)
auditor=$("$bin" token issue --role auditor --tenant demo --label demo 2>/dev/null)

umask 077
printf 'manager  %s\nclient   %s\nauditor  %s\n' "$manager" "$client" "$auditor" > "$dir/tokens"
cat > "$dir/README.txt" <<MSG

== slattest demo (tenant "demo", October 2026) ==
Tokens: secrets, kept in $dir/tokens (mode 0600), "role token" a line;
set \$manager, \$client and \$auditor in a shell with
  eval "\$(awk '{print \$1 "=" \$2}' $dir/tokens)"
Workbooks and signatures:
  $dir/demo-client-2026-10.xlsx (+ .p7s)
  $dir/demo-internal-2026-10.xlsx (+ .p7s)
Verify one with nothing but openssl:
  openssl cms -verify -binary -inform DER -in $dir/demo-client-2026-10.p7s \\
      -content $dir/demo-client-2026-10.xlsx -CAfile $var/certs/ca.pem -out /dev/null
Once the server runs (https://localhost:8443):
  curl --cacert $var/certs/ca.pem -H "Authorization: Bearer \$client" \\
       https://localhost:8443/v1/tenants/demo/reports
  curl --cacert $var/certs/ca.pem -H "Authorization: Bearer \$client" -OJ \\
       https://localhost:8443/v1/tenants/demo/reports/1/workbook
  curl --cacert $var/certs/ca.pem -H "Authorization: Bearer \$manager" \\
       "https://localhost:8443/v1/tenants/demo/metrics?from=2026-10&by=day"
MSG
touch "$dir/.done"
cat "$dir/README.txt"
if [ -t 1 ]; then
  echo "The tokens, shown this once (they stay in $dir/tokens):"
  sed 's/^/  /' "$dir/tokens"
fi
