#!/usr/bin/env bash
# test-cluster.sh - the cluster suite (`make test-cluster`): three MariaDB
# Galera nodes, two slattest instances and HAProxy on loopback
# (scripts/cluster.sh), then tests/cluster against them; the cluster is
# destroyed at the end, pass or fail.  CLUSTER_BIG_ROWS sets the big batch
# (default 200,000; 1000000 for the full-size run).
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
trap 'scripts/cluster.sh destroy >/dev/null 2>&1 || true' EXIT
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/cluster ${PYTEST_ARGS:-}
rc=$?
# On failure the logs outlive the cluster: var/cluster-logs/.
if [ $rc -ne 0 ]; then
  rm -rf var/cluster-logs && mkdir -p var/cluster-logs
  cp var/cluster/*.log var/cluster-logs/ 2>/dev/null
  for n in 1 2 3; do cp var/cluster/node$n/error.log "var/cluster-logs/node$n-error.log" 2>/dev/null; done
  echo "cluster logs kept in var/cluster-logs/"
fi
echo "cluster suite: $(( $(date +%s) - start )) s"
exit $rc
