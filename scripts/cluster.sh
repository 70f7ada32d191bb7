#!/usr/bin/env bash
# cluster.sh - a three-node MariaDB Galera cluster, slattest instances and
# HAProxy, all on loopback, for the scale and fault tests (docs/DEPLOY.md).
#
#   scripts/cluster.sh up            start what is not running (nodes, instances, balancer)
#   scripts/cluster.sh down          stop everything (data stays under var/cluster/)
#   scripts/cluster.sh status        one line per part
#   scripts/cluster.sh kill-node N   SIGKILL node N (fault tests)
#   scripts/cluster.sh start-node N  start node N again: it rejoins and catches up (IST/SST)
#   scripts/cluster.sh kill-instance N / start-instance N
#   scripts/cluster.sh destroy       down, then remove var/cluster/
#
# Environment: INSTANCES (default 2; instance i talks to node ((i-1) % 3) + 1),
# CLUSTER_BASE (default 36000: node N listens on BASE+10N for SQL, +1 Galera,
# +2 IST, +3 SST; instance i on BASE+100+i; the balancer on BASE+100),
# SLATTEST_BIN (default build/release/slattest), STALE_S (the instances'
# [reports] stale_s, default 60; the fault tests use a few seconds).
#
# `up` writes var/cluster/slattest.ini: `slattest --config
# var/cluster/slattest.ini ...` (migrate, token issue, check, audit verify)
# works against the cluster through node 1.  Sized for a 2-core machine:
# small InnoDB buffers, one applier thread per node.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/var/cluster
base=${CLUSTER_BASE:-36000}
instances=${INSTANCES:-2}
bin=${SLATTEST_BIN:-$root/build/release/slattest}
# The cluster's own slattest.ini decides: a SLATTEST_* setting from the
# caller's environment (make test's SLATTEST_PATHS_VAR, say) would override it.
for v in $(compgen -e); do
  case $v in SLATTEST_BIN) ;; SLATTEST_*) unset "$v" ;; esac
done
galera_lib=/usr/lib/galera/libgalera_smm.so
db_user=slattest
db_name=slattest

sql_port() { echo $((base + 10 * $1)); }
gcomm_port() { echo $((base + 10 * $1 + 1)); }
ist_port() { echo $((base + 10 * $1 + 2)); }
sst_port() { echo $((base + 10 * $1 + 3)); }
inst_port() { echo $((base + 100 + $1)); }
lb_port() { echo $((base + 100)); }
node_dir() { echo "$dir/node$1"; }
# The node's pid: from its pid file, else the one we launched (before the file exists).
node_pid() {
  local d
  d=$(node_dir "$1")
  cat "$d/mariadbd.pid" 2>/dev/null || cat "$d/launch.pid" 2>/dev/null || true
}
# A process is alive when it exists and is not a zombie (a killed child that
# nothing has reaped yet still answers kill -0).
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
node_sql() { mariadb --protocol=socket --socket="$(node_dir "$1")/mysqld.sock" -uroot -N -B "${@:2}"; }

# The cluster's password for the slattest user: made once, kept 0600.
db_password() {
  if [ ! -s "$dir/db-password" ]; then
    mkdir -p "$dir" && umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/db-password"
  fi
  cat "$dir/db-password"
}

# my.cnf of node N: its ports, its data directory, Galera with rsync SST.
write_node_cnf() {
  local n=$1 d
  d=$(node_dir "$n")
  mkdir -p "$d/data" "$d/tmp"
  cat >"$d/my.cnf" <<EOF
[mariadbd]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mariadbd.pid
log-error=$d/error.log
tmpdir=$d/tmp
port=$(sql_port "$n")
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_bin
innodb_buffer_pool_size=192M
innodb_log_file_size=96M
innodb_flush_log_at_trx_commit=2
max_allowed_packet=256M
local_infile=1
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$galera_lib
wsrep_cluster_name=slattest
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$(gcomm_port "$n")
wsrep_cluster_address=gcomm://127.0.0.1:$(gcomm_port 1),127.0.0.1:$(gcomm_port 2),127.0.0.1:$(gcomm_port 3)
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=256M;evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$n")
wsrep_slave_threads=1
wsrep_sync_wait=0
wsrep_trx_fragment_size=0
EOF
}

# Waits until node N answers and reports Synced (or times out).
wait_synced() {
  local n=$1 deadline=$((SECONDS + 180)) state
  while [ $SECONDS -lt $deadline ]; do
    state=$(node_sql "$n" -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || true)
    [ "$state" = "Synced" ] && return 0
    alive "$(node_pid "$n")" || { echo "node $n died; see $(node_dir "$n")/error.log" >&2; tail -20 "$(node_dir "$n")/error.log" >&2; return 1; }
    sleep 0.5
  done
  echo "node $n not Synced after 180 s ($state)" >&2
  return 1
}

# Starts node N; bootstrap=1 starts a new cluster from it.
start_node() {
  local n=$1 bootstrap=${2:-0} d extra=()
  d=$(node_dir "$n")
  if alive "$(node_pid "$n")"; then return 0; fi
  write_node_cnf "$n"
  if [ ! -d "$d/data/mysql" ]; then
    chown -R mysql:mysql "$d"
    mariadb-install-db --defaults-file="$d/my.cnf" --user=mysql --auth-root-authentication-method=socket \
      --skip-test-db >"$d/install.log" 2>&1 || { cat "$d/install.log" >&2; return 1; }
  fi
  [ "$bootstrap" = 1 ] && extra+=(--wsrep-new-cluster)
  # A node that was the last one down may need safe_to_bootstrap to lead.
  [ "$bootstrap" = 1 ] && [ -f "$d/data/grastate.dat" ] && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
  # As the mysql user: rsync SST's daemon, started as root, would write as nobody.
  chown -R mysql:mysql "$d"
  # A joiner's first state transfer now and then fails on loopback ("will
  # never receive state"): the node aborts, and a second start succeeds.
  local attempt
  for attempt in 1 2 3; do
    rm -f "$d/mariadbd.pid" # a killed node's is stale
    setsid mariadbd --defaults-file="$d/my.cnf" --user=mysql "${extra[@]}" </dev/null >>"$d/stdout.log" 2>&1 &
    echo $! >"$d/launch.pid"
    wait_synced "$n" && return 0
    alive "$(node_pid "$n")" && return 1
    echo "node $n: starting again (attempt $((attempt + 1)))" >&2
  done
  return 1
}

# How many nodes are up and Synced.
synced_nodes() {
  local n c=0
  for n in 1 2 3; do
    [ "$(node_sql "$n" -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" = Synced ] && c=$((c + 1))
  done
  echo $c
}

# The database, its user (TCP from loopback) and the schema.
prepare_database() {
  local pw
  pw=$(db_password)
  node_sql 1 -e "CREATE DATABASE IF NOT EXISTS $db_name CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '$pw';
    GRANT ALL ON $db_name.* TO '$db_user'@'127.0.0.1';"
}

write_ini() {
  local pw
  pw=$(db_password)
  umask 077
  cat >"$dir/slattest.ini" <<EOF
; Written by scripts/cluster.sh up: the cluster through node 1.
; Instances override [server] listen and [database] port by environment.
[server]
listen = 127.0.0.1:$(inst_port 1)
[database]
host = 127.0.0.1
port = $(sql_port 1)
user = $db_user
password = $pw
name = $db_name
galera = true
[reports]
stale_s = ${STALE_S:-60}
[paths]
var = $dir
migrations = $root/migrations
templates = $root/templates
EOF
}

inst_pidfile() { echo "$dir/instance$1.pid"; }

start_instance() {
  local i=$1 node pidf
  node=$(((i - 1) % 3 + 1))
  pidf=$(inst_pidfile "$i")
  alive "$(cat "$pidf" 2>/dev/null || true)" && return 0
  # Its own node first, then the others: it keeps serving when its node is lost.
  local hosts="127.0.0.1:$(sql_port "$node")" k
  for k in 1 2 3; do [ "$k" = "$node" ] || hosts+=",127.0.0.1:$(sql_port "$k")"; done
  SLATTEST_SERVER_LISTEN=127.0.0.1:$(inst_port "$i") SLATTEST_DATABASE_HOST=$hosts \
    setsid "$bin" --config "$dir/slattest.ini" serve </dev/null >>"$dir/instance$i.log" 2>&1 &
  echo $! >"$pidf"
  local deadline=$((SECONDS + 60))
  until curl -sf --cacert "$dir/certs/ca.pem" "https://localhost:$(inst_port "$i")/readyz" >/dev/null 2>&1; do
    alive "$(cat "$pidf")" || { echo "instance $i exited; see $dir/instance$i.log" >&2; tail -20 "$dir/instance$i.log" >&2; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "instance $i not ready after 60 s" >&2; return 1; }
    sleep 0.3
  done
}

start_balancer() {
  local i servers=""
  alive "$(cat "$dir/haproxy.pid" 2>/dev/null || true)" && return 0
  for i in $(seq 1 "$instances"); do
    servers+="    server instance$i 127.0.0.1:$(inst_port "$i") check check-ssl verify none inter 1s fall 2 rise 2"$'\n'
  done
  # TCP mode: TLS ends at the instances; health by GET /readyz over TLS.
  cat >"$dir/haproxy.cfg" <<EOF
global
    maxconn 4000
defaults
    mode tcp
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    option redispatch
    retries 2
frontend slattest
    bind 127.0.0.1:$(lb_port)
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /readyz
$servers
EOF
  haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid"
}

cmd_up() {
  command -v mariadbd >/dev/null && [ -f "$galera_lib" ] && command -v haproxy >/dev/null && command -v rsync >/dev/null ||
    { echo "cluster: needs mariadb-server, galera-4, haproxy and rsync (scripts/deps.sh)" >&2; exit 1; }
  [ -x "$bin" ] || { echo "cluster: build first (make release)" >&2; exit 1; }
  mkdir -p "$dir"
  # The first node up bootstraps a new cluster unless another is already running.
  local n started=0
  for n in 1 2 3; do alive "$(node_pid "$n")" && started=1; done
  for n in 1 2 3; do
    if [ $started = 0 ]; then start_node "$n" 1; started=1; else start_node "$n" 0; fi
  done
  prepare_database
  [ -f "$dir/certs/ca.pem" ] || scripts/dev-certs.sh "$dir/certs" >/dev/null
  write_ini
  "$bin" --config "$dir/slattest.ini" migrate >/dev/null
  for i in $(seq 1 "$instances"); do start_instance "$i"; done
  start_balancer
  cmd_status
}

cmd_status() {
  local n i state pid
  for n in 1 2 3; do
    pid=$(node_pid "$n")
    if alive "$pid"; then
      state=$(node_sql "$n" -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || true)
      echo "node $n 127.0.0.1:$(sql_port "$n") ${state:-starting}"
    else
      echo "node $n 127.0.0.1:$(sql_port "$n") down"
    fi
  done
  for i in $(seq 1 "$instances"); do
    if alive "$(cat "$(inst_pidfile "$i")" 2>/dev/null || true)"; then
      echo "instance $i https://127.0.0.1:$(inst_port "$i") up (node $(((i - 1) % 3 + 1)))"
    else
      echo "instance $i https://127.0.0.1:$(inst_port "$i") down"
    fi
  done
  if alive "$(cat "$dir/haproxy.pid" 2>/dev/null || true)"; then
    echo "balancer https://127.0.0.1:$(lb_port) up"
  else
    echo "balancer https://127.0.0.1:$(lb_port) down"
  fi
}

stop_pidfile() {
  local f=$1 pid
  pid=$(cat "$f" 2>/dev/null || true)
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.2; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

cmd_down() {
  local i n
  stop_pidfile "$dir/haproxy.pid"
  for i in $(seq 1 9); do [ -f "$(inst_pidfile "$i")" ] && stop_pidfile "$(inst_pidfile "$i")"; done
  # Stop the nodes one at a time, the first last, so it can bootstrap next time.
  for n in 3 2 1; do
    local pid
    pid=$(node_pid "$n")
    if alive "$pid"; then
      kill -TERM "$pid"
      for _ in $(seq 1 300); do alive "$pid" || break; sleep 0.2; done
      alive "$pid" && kill -KILL "$pid" || true
    fi
  done
  return 0
}

# SIGKILL, and return once the process is gone (so a start right after
# does not find it still alive).
kill_now() {
  local pid=$1
  alive "$pid" || return 0
  kill -KILL "$pid"
  for _ in $(seq 1 100); do alive "$pid" || return 0; sleep 0.05; done
  echo "cluster: process $pid still alive after SIGKILL" >&2
  return 1
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kill-node) kill_now "$(node_pid "${2:?node number}")" ;;
start-node) start_node "${2:?node number}" "$([ "$(synced_nodes)" = 0 ] && echo 1 || echo 0)" ;;
kill-instance) kill_now "$(cat "$(inst_pidfile "${2:?instance number}")")" ;;
start-instance) start_instance "${2:?instance number}" ;;
destroy) cmd_down; rm -rf "$dir" ;;
*) sed -n '2,20p' "$0"; exit 2 ;;
esac
