#!/usr/bin/env bash
# check-layers-selftest.sh - proves that scripts/check-layers.sh can fail:
# copies the sources into a scratch tree, adds includes that go against the
# layers (lib/ including a server header, store/ including an API header,
# a header that does not exist), and expects the check to name each one
# with its file, line and rule.  Part of `make lint`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts"
cp -r "$here/lib" "$here/reports" "$here/server" "$tmp/"
cp "$here/scripts/check-layers.sh" "$tmp/scripts/"

"$tmp/scripts/check-layers.sh" "$tmp" >/dev/null || { echo "layers selftest: the clean copy fails"; exit 1; }

printf '#include "db.h"\n' >>"$tmp/lib/buf.c"
printf '#include "router.h"\n' >>"$tmp/server/store/audit.c"
printf '#include "no_such_header.h"\n' >>"$tmp/reports/sla.c"
if out=$("$tmp/scripts/check-layers.sh" "$tmp" 2>&1); then
  echo "layers selftest: wrong includes were not found"; exit 1
fi
line_buf=$(wc -l <"$tmp/lib/buf.c")
line_audit=$(wc -l <"$tmp/server/store/audit.c")
for want in "lib/buf.c:$line_buf: includes db.h (server/store): lib may include only its own folder" \
            "server/store/audit.c:$line_audit: includes router.h (server/api): server/store may include only its own folder and server/conf reports lib" \
            "reports/sla.c:" ; do
  grep -qF "$want" <<<"$out" || { echo "layers selftest: expected: $want"; echo "got:"; echo "$out"; exit 1; }
done
echo "layers selftest: ok (a wrong include fails the check)"
