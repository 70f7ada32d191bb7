#!/usr/bin/env bash
# Installs the Debian packages slattest needs, when any is missing.
# Safe to run again: it only calls apt-get when something is absent.
set -euo pipefail

PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev clang-format
  libevent-dev libssl-dev openssl libmariadb-dev libjansson-dev libcsv-dev
  libinih-dev libxlsxwriter-dev libhttp-parser-dev libcmocka-dev libzip-dev
  mariadb-server mariadb-client tzdata curl ca-certificates
  python3-pytest python3-requests python3-openpyxl
  libreoffice-calc poppler-utils
  # the cluster suite (make test-cluster): Galera, HAProxy, rsync for state transfers
  galera-4 haproxy rsync
  nodejs  # tests/e2e/test_openapi.py: npm installs the OpenAPI validator into build/npm
  libcurl4-openssl-dev # schedules: e-mail (SMTP) and webhook delivery
  python3-aiosmtpd # schedules: the e2e tests' SMTP server on loopback
  libargon2-dev # portal passwords (Argon2id)
  libqrencode-dev # portal TOTP enrolment: the QR code (lib/qrsvg.c)
  chromium # portal browser tests (tests/browser)
  chromium-driver # portal browser tests: WebDriver for Selenium
  python3-selenium # portal browser tests
  fonts-wqy-microhei # portal browser tests: Chinese glyphs in screenshots
  # the TLS scan of the test server (tests/e2e/test_tls_scan.py)
  testssl.sh
  faketime # the fault suite: a server's clock stepped back (libfaketime, tests/e2e/test_faults.py)
)
# npm: Debian's package, unless the installed node brings its own (NodeSource's nodejs
# provides npm and conflicts with Debian's).
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
[ -n "${SLATTEST_EXTRA_PKGS:-}" ] && PKGS+=(${SLATTEST_EXTRA_PKGS})

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The mariadb-server package tries to start a system server; slattest runs
# its own, so keep the package scripts from starting anything.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
