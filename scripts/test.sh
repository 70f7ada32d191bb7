#!/usr/bin/env bash
# Runs every test against a fresh private database:
#   1. C unit tests (cmocka), release and ASan+UBSan builds;
#   2. workbook read-back (tests/xl, openpyxl), release and ASan+UBSan builds;
#   3. end-to-end tests (pytest) against the real server over HTTPS and the
#      real MariaDB, once with each build (the testssl.sh scan once);
#   4. browser tests of the portal (tests/browser: Selenium and headless
#      Chromium), release build only, timed (BROWSER_TESTS=0 skips them).
#   5. fault injection (scripts/test-faults.sh: the database SIGKILLed mid-request).
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
# Adds the counts a runner printed ("[  PASSED  ] N test(s)", "N passed", "N failed").
tally() {
  local p f
  p=$(grep -oE '\[  PASSED  \] [0-9]+|[0-9]+ passed' "$log" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}')
  f=$(grep -oE '\[  FAILED  \] [0-9]+|[0-9]+ failed|[0-9]+ error' "$log" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}')
  passed_total=$((passed_total + ${p:-0}))
  failed_total=$((failed_total + ${f:-0}))
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

echo "== workbook read-back (openpyxl)"
for mode in release asan; do
  echo "-- xl ($mode)"
  XL_BUILD="build/$mode" \
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/xl 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
  tally
done

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
fi

echo "== fault injection (release build, its own database under var/faults)"
"$bin" db stop >/dev/null 2>&1 || true
scripts/test-faults.sh 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { fail=1; grep -qE '[0-9]+ (failed|error)' "$log" || failed_total=$((failed_total + 1)); }
tally
rm -f "$log"

[ $fail -eq 0 ] || echo "test.sh: FAILURES"
echo "tests: $passed_total passed, $failed_total failed"
exit $fail
