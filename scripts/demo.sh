#!/usr/bin/env bash
# The demo: a tenant with a generated month of contacts (seeded, so every run
# makes the same data), a contract, and its signed client and internal
# workbooks; then the tokens and the portal's demo people with their
# passwords, download URLs and the openssl command that verifies them.  Runs
# once per var directory (make run calls it on its first run; DEMO=0 skips
# it).  Needs the database running and migrated.
# Tokens and passwords are secrets: kept in $var/demo/tokens and
# $var/demo/people (mode 0600) and shown once, on the first run, only when
# standard output is a terminal (so they never end up in a log); the guide
# (README.txt) names the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/slattest
var="${SLATTEST_PATHS_VAR:-var}"
dir="$var/demo"
[ -f "$dir/.done" ] && { cat "$dir/README.txt"; exit 0; }

# --- QA data and earlier months (issue 13: every sheet of the internal workbook
# has content).  The QA form and the inspector list are set through the API, so
# a server runs on a free loopback port for the two calls, then stops; the
# evaluations, calibrations, appeals and the July-September contacts
# (scripts/demo/qa.py, seeded) go in with `slattest ingest`.
demo_qa_and_history() {
  echo "demo: QA form, inspectors, evaluations, calibrations, appeals; July-September"
  /usr/bin/python3 scripts/demo/qa.py "$dir/contacts-2026-10.csv" "$dir"
  "$bin" ingest demo "$dir/history.csv" >/dev/null
  local log="$dir/qa-serve.log" port="" pid tok i
  tok=$("$bin" token issue --role manager --tenant demo --label "demo qa" 2>/dev/null)
  : >"$log"
  SLATTEST_SERVER_LISTEN=127.0.0.1:0 "$bin" serve >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  for i in $(seq 1 300); do
    port=$(grep -o '"msg":"listening".*"port":"[0-9]*"' "$log" | grep -o '[0-9]*"$' | tr -d '"' || true)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "demo: the server did not start" >&2; cat "$log" >&2; return 1; }
  local api="https://localhost:$port/v1/tenants/demo"
  local curl_args=(-sS --fail-with-body --cacert "$var/certs/ca.pem" -H "Authorization: Bearer $tok"
                   -H "Content-Type: application/json" -X PUT -o /dev/null)
  curl "${curl_args[@]}" --data-binary @scripts/demo/qa-form.json "$api/qa/forms/demo-qa"
  curl "${curl_args[@]}" --data-binary @scripts/demo/inspectors.json "$api/qa/inspectors"
  kill "$pid" && wait "$pid" || true
  trap - EXIT
  for kind in evaluations calibrations appeals; do
    "$bin" ingest demo "$dir/$kind.csv" --kind "$kind" | grep -E '"(rows|rejected)"'
  done
}
mkdir -p "$dir"
chmod 700 "$dir"

echo "demo: generating a month of contacts (N=${DEMO_N:=20000}, seed 7)"
N="$DEMO_N" SEED=7 /usr/bin/python3 bench/ingest --csv-only "$dir/contacts-2026-10.csv" >/dev/null
"$bin" tenant add demo --name "Demo Insurance" --tz Asia/Shanghai >/dev/null 2>&1 || true
"$bin" contract demo scripts/demo/contract.json
"$bin" ingest demo "$dir/contacts-2026-10.csv" | grep -E '"(rows|inserted|rejected)"'
demo_qa_and_history
"$bin" report demo --period 2026-10 --template client-monthly -o "$dir/demo-client-2026-10.xlsx"
"$bin" report demo --period 2026-10 --template internal-monthly -o "$dir/demo-internal-2026-10.xlsx"
manager=$("$bin" token issue --role manager --tenant demo --label demo 2>/dev/null)
client=$("$bin" token issue --role client --tenant demo --label demo 2>/dev/null)
auditor=$("$bin" token issue --role auditor --tenant demo --label demo 2>/dev/null)
# Demo people for the portal (docs/portal.md), each with a random password.
newpw() { openssl rand -base64 18 | tr -d '/+=' | cut -c1-20; }
pw_manager=$(newpw) pw_client=$(newpw) pw_auditor=$(newpw) pw_admin=$(newpw)
for who in manager client auditor; do
  pw_var="pw_$who"
  printf '%s\n' "${!pw_var}" | "$bin" user add "$who@demo.example" --role "$who" --tenant demo \
    --password-stdin >/dev/null
done
# An admin sees every tenant (no grant): the admin pages (/admin/...).
printf '%s\n' "$pw_admin" | "$bin" user add admin@demo.example --role admin --password-stdin >/dev/null

umask 077
printf 'manager  %s\nclient   %s\nauditor  %s\n' "$manager" "$client" "$auditor" > "$dir/tokens"
printf 'manager@demo.example  %s\nclient@demo.example   %s\nauditor@demo.example  %s\nadmin@demo.example    %s\n' \
  "$pw_manager" "$pw_client" "$pw_auditor" "$pw_admin" > "$dir/people"
cat > "$dir/README.txt" <<MSG

== slattest demo (tenant "demo", October 2026) ==
Tokens: secrets, kept in $dir/tokens (mode 0600), "role token" a line;
set \$manager, \$client and \$auditor in a shell with
  eval "\$(awk '{print \$1 "=" \$2}' $dir/tokens)"
Portal (https://localhost:8443/login): the people of tenant "demo",
manager@, client@ and auditor@demo.example, and admin@demo.example (every
tenant, the admin pages); their passwords are secrets,
kept in $dir/people (mode 0600), "email password" a line.
Verify a workbook without logging in: https://localhost:8443/verify
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
  echo "The portal's demo people, shown this once (they stay in $dir/people):"
  sed 's/^/  /' "$dir/people"
fi
