#!/usr/bin/env bash
# Runs every test: C unit tests under the release and sanitizer builds.
# (Grows with the project: the database and end-to-end tests join here.)
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
for mode in release asan; do
  for t in build/$mode/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== unit ($mode): $(basename "$t")"
    "$t" || fail=1
  done
done
exit $fail
