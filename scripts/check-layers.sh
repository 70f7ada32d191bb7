#!/usr/bin/env bash
# check-layers.sh [ROOT] - the include-direction check of `make lint`.
#
# The code is in layers (docs/ARCHITECTURE.md, "Module map"); a file may
# include headers of its own folder and of the folders its layer lists
# below, never one above or beside it.  Every `#include "x.h"` of every .c
# and .h under lib/, reports/ and server/*/ is resolved to the folder that
# holds x.h and checked against the table.  Prints each violation as
# `file:line: includes x.h (folder): folder may include only ...` and exits 1
# when there is any.  Headers not in the tree (<...>, system) are not ours
# and are not checked; an `#include "x.h"` that names no header of ours is
# an error too (a typo, or a header the check does not know about).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# folder: the folders it may include besides itself.  Top to bottom.
rules='
server/cli:     server/portal server/api server/sched server/http server/jobs server/ingest server/metrics server/store server/conf reports lib
server/portal:  server/api server/sched server/http server/jobs server/ingest server/metrics server/store server/conf reports lib
server/api:     server/sched server/http server/jobs server/ingest server/metrics server/store server/conf reports lib
server/sched:   server/jobs server/metrics server/store server/conf reports lib
server/http:    server/store server/conf lib
server/jobs:    server/metrics server/store server/conf reports lib
server/ingest:  server/store server/conf reports lib
server/metrics: server/store server/conf reports lib
server/store:   server/conf reports lib
server/conf:    reports lib
reports:        lib
lib:
'

awk -v rules="$rules" '
BEGIN {
    n = split(rules, lines, "\n")
    for (i = 1; i <= n; i++) {
        if (lines[i] !~ /:/) continue
        split(lines[i], kv, ":")
        folder = kv[1]; gsub(/[ \t]/, "", folder)
        known[folder] = 1
        allowed[folder] = kv[2]
        m = split(kv[2], deps, " ")
        for (j = 1; j <= m; j++) ok[folder, deps[j]] = 1
    }
}
# First pass (the header list on stdin of this program, via FILENAME "-"):
# Two headers of one name would make the -I order decide which one a file
# gets: refused.
FNR == NR {
    if (($2 in home) && home[$2] != $1) {
        printf "%s/%s: a header of the same name is in %s\n", $1, $2, home[$2]
        bad = 1
    }
    home[$2] = $1
    next
}
FNR == 1 {
    file = FILENAME
    folder = file; sub(/\/[^\/]*$/, "", folder)
    if (!(folder in known)) {
        printf "%s: folder %s is not in the layer table of scripts/check-layers.sh\n", file, folder
        bad = 1
    }
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
    h = $0; sub(/^[^"]*"/, "", h); sub(/".*$/, "", h)
    base = h; sub(/^.*\//, "", base)
    if (!(base in home)) {
        printf "%s:%d: includes \"%s\", which is no header of lib/, reports/ or server/*/\n", file, FNR, h
        bad = 1
        next
    }
    to = home[base]
    if (to == folder || ok[folder, to]) next
    rule = allowed[folder]; gsub(/^[ \t]+|[ \t]+$/, "", rule)
    printf "%s:%d: includes %s (%s): %s may include only its own folder%s%s\n",
           file, FNR, base, to, folder, (rule == "" ? "" : " and "), rule
    bad = 1
}
END { exit bad }
' <(for h in lib/*.h reports/*.h server/*/*.h; do [ -e "$h" ] && echo "${h%/*} ${h##*/}"; done) \
  lib/*.[ch] reports/*.[ch] server/*/*.[ch] || { echo "lint: include direction broken (see docs/ARCHITECTURE.md, Module map)"; exit 1; }
echo "layers: ok"
