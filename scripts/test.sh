#!/usr/bin/env bash
# Runs every test against a fresh private database:
#   1. C unit tests (cmocka), release and ASan+UBSan builds;
#   2. workbook read-back (tests/xl, openpyxl), release and ASan+UBSan builds;
#   3. end-to-end tests (pytest) against the real server over HTTPS and the
#      real MariaDB, once with each build (the testssl.sh scan once);
#   4. browser tests of the portal (tests/browser: Selenium and headless
#      Chromium), release build only, timed (BROWSER_TESTS=0 skips them).
#   5. fault injection (scripts/test-faults.sh: the database SIGKILLed mid-request);
#   6. the cluster suite (scripts/test-cluster.sh: Galera, HAProxy, node and
#      instance kills; CLUSTER_TESTS=0 skips it).
# Everything it starts (MariaDB, servers) is stopped on exit, pass or fail.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export SLATTEST_PATHS_VAR="$root/var/test"
bin=build/release/slattest

cleanup() {
  "$root/$bin" db stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail=0
passed_total=0
failed_total=0
log=$(mktemp)
# Adds the counts a runner printed in its summary: cmocka's "[  PASSED  ] N
# test(s)" and "[  FAILED  ] N test(s)", pytest's last line "N failed, M
# passed ... in T s" (not any "N failed" a test's output happens to hold).
tally() {
  local p f sums
  sums=$(grep -E '^\[  (PASSED|FAILED)  \] [0-9]+ test|^(=+ )?[0-9]+ (passed|failed|errors?|skipped)[^=]* in [0-9.]+s' "$log")
  p=$(grep -oE '\[  PASSED  \] [0-9]+|[0-9]+ passed' <<<"$sums" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}')
  f=$(grep -oE '\[  FAILED  \] [0-9]+|[0-9]+ failed|[0-9]+ errors?' <<<"$sums" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}')
  passed_total=$((passed_total + ${p:-0}))
  failed_total=$((failed_total + ${f:-0}))
}
# Each suite's wall time, printed after it and summed up at the end, so a
# suite that grows is seen growing.
suite_times=""
suite_start=$(date +%s)
suite_done() {
  local t=$(( $(date +%s) - suite_start ))
  echo "-- $1: ${t} s"
  suite_times+="  $1: ${t} s"$'\n'
  suite_start=$(date +%s)
}

echo "== unit tests"
for mode in release asan; do
  for t in build/$mode/tests/test_*; do
    [ -x "$t" ] || continue
    echo "-- unit ($mode): $(basename "$t")"
    "$t" 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -q FAILED "$log" || failed_total=$((failed_total + 1)); }
    tally
  done
done
suite_done "unit tests (release and asan)"

echo "== workbook read-back (openpyxl)"
for mode in release asan; do
  echo "-- xl ($mode)"
  XL_BUILD="build/$mode" \
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/xl 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
  tally
done
suite_done "workbook read-backs"

echo "== fresh database under $SLATTEST_PATHS_VAR"
"$bin" db stop >/dev/null 2>&1 || true
rm -rf "$SLATTEST_PATHS_VAR"
mkdir -p "$SLATTEST_PATHS_VAR"
scripts/dev-certs.sh "$SLATTEST_PATHS_VAR/certs" >/dev/null
"$bin" db start || exit 1
"$bin" migrate || exit 1

for mode in ${E2E_MODES:-asan release}; do
  echo "== end-to-end tests ($mode build)"
  # The testssl.sh scan runs once, against the release build (same TLS set-up).
  TLS_SCAN=$([ "$mode" = release ] && echo 1 || echo 0) \
  SLATTEST_BIN="$root/build/$mode/slattest" \
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e ${PYTEST_ARGS:-} 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
  tally
  suite_done "end-to-end ($mode)"
done

# 4. The portal in a real headless Chromium (tests/browser), release build only.
if [ "${BROWSER_TESTS:-1}" != 0 ] && [[ " ${E2E_MODES:-asan release} " == *" release "* ]]; then
  echo "== browser tests (release build, headless Chromium)"
  browser_start=$(date +%s)
  SLATTEST_BIN="$root/build/release/slattest" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/browser ${BROWSER_PYTEST_ARGS:-} 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
  tally
  echo "browser tests: $(( $(date +%s) - browser_start )) s (screenshots in $SLATTEST_PATHS_VAR/screenshots)"
  suite_done "browser (release)"
fi

echo "== fault injection (release build, its own database under var/faults)"
"$bin" db stop >/dev/null 2>&1 || true
scripts/test-faults.sh 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
tally
suite_done "fault injection"

# 6. The cluster suite (scripts/test-cluster.sh): three Galera nodes, two
#    instances and HAProxy on loopback; CLUSTER_TESTS=0 skips it.
if [ "${CLUSTER_TESTS:-1}" != 0 ]; then
  echo "== cluster (release build, three Galera nodes under var/cluster)"
  scripts/test-cluster.sh 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
  tally
  suite_done "cluster"
fi
rm -f "$log"

echo "== suite times"
printf '%s' "$suite_times"

[ $fail -eq 0 ] || echo "test.sh: FAILURES"
echo "tests: $passed_total passed, $failed_total failed"
exit $fail
