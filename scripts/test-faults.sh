#!/usr/bin/env bash
# `make test-faults`: the fault-injection tests (tests/e2e/test_faults.py) with
# their own private database under var/faults: the database is SIGKILLed in
# the middle of an ingest, a report build and a contract PUT, and restarted.
# Against the release build (FAULT_BIN to choose another).  Everything it
# starts is stopped on exit, pass or fail.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export SLATTEST_PATHS_VAR="$root/var/faults"
bin="${FAULT_BIN:-build/release/slattest}"

cleanup() {
  "$root/$bin" db stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$bin" db stop >/dev/null 2>&1 || true
rm -rf "$SLATTEST_PATHS_VAR"
mkdir -p "$SLATTEST_PATHS_VAR"
scripts/dev-certs.sh "$SLATTEST_PATHS_VAR/certs" >/dev/null
"$bin" db start || exit 1
"$bin" migrate || exit 1
t0=$(date +%s)
FAULT_TESTS=1 SLATTEST_BIN="$root/$bin" \
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_faults.py ${PYTEST_ARGS:-}
rc=$?
echo "test-faults: $(( $(date +%s) - t0 )) s"
exit $rc
