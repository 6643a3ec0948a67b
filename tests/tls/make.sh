#!/usr/bin/env bash
# Regenerates the fixed test PKI used by the TLS tests (valid until 2125, so it never needs to be
# run in CI): a private CA, a server certificate it signs for `localhost` and 127.0.0.1, and a
# second, unrelated CA to prove that trusting the wrong CA fails.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ec ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=openclaw-mattermost test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

ec server.key
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
cat > server.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
  -extfile server.ext -out server.pem
rm -f server.csr server.ext ca.srl

ec other-ca.key
openssl req -x509 -new -key other-ca.key -sha256 -days "$days" -subj "/CN=some other CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out other-ca.pem
# Only certificates and the server's key are needed by the tests.
rm -f ca.key other-ca.key
