#!/usr/bin/env bash
# `make test-faults`: the fault-injection tests (tests/e2e/test_faults.py) with
# their own private database under var/faults: the database is SIGKILLed in
# the middle of an ingest, a report build and a contract PUT, and restarted;
# its disk and the server's spool directory fill up; the server is SIGKILLed
# under load; its clock steps back an hour while jobs run (libfaketime).
# Against the release build (FAULT_BIN to choose another).  Everything it
# starts is stopped on exit, pass or fail.
#
# Disk full: the database's directory (var/faults/mariadb) and the server's
# spool (var/faults/tmp) are each a tmpfs of their own, so the tests can
# fill them without filling the machine's disk.  Mounting needs root (CI
# runs as root); when the mount is refused the disk-full tests skip and say
# why (FAULT_DISK_SKIP), and everything else runs on the ordinary disk.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export SLATTEST_PATHS_VAR="$root/var/faults"
bin="${FAULT_BIN:-build/release/slattest}"

db_disk="$SLATTEST_PATHS_VAR/mariadb"
spool_disk="$SLATTEST_PATHS_VAR/tmp"

unmount_disks() {
  for d in "$db_disk" "$spool_disk"; do
    if mountpoint -q "$d" 2>/dev/null; then umount "$d" || umount -l "$d"; fi
  done
}

cleanup() {
  "$root/$bin" db stop >/dev/null 2>&1 || true
  unmount_disks
}
trap cleanup EXIT

"$bin" db stop >/dev/null 2>&1 || true
unmount_disks
rm -rf "$SLATTEST_PATHS_VAR"
mkdir -p "$db_disk" "$spool_disk"
# 1 GiB for the database (its 256 MB redo log, the system tablespace and the
# suite's data), 64 MiB for the spool.
export FAULT_DB_DISK="" FAULT_SPOOL_DISK="" FAULT_DISK_SKIP=""
if out=$(mount -t tmpfs -o size=1g,mode=0700 tmpfs "$db_disk" 2>&1) &&
   out2=$(mount -t tmpfs -o size=64m,mode=0700 tmpfs "$spool_disk" 2>&1); then
  FAULT_DB_DISK="$db_disk" FAULT_SPOOL_DISK="$spool_disk"
else
  unmount_disks
  FAULT_DISK_SKIP="cannot mount a tmpfs for the disk-full tests (needs root or CAP_SYS_ADMIN): ${out:-}${out2:-}"
  echo "test-faults: $FAULT_DISK_SKIP"
fi
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
