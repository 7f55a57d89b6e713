#!/usr/bin/env bash
# Makes a local CA and a server certificate signed by it, for clients that
# should verify relaymock's certificate instead of skipping verification.
#   certs/make-certs.sh [hostname]     (default: relaymock.local)
# Writes certs/ca.crt, certs/ca.key, certs/server.crt, certs/server.key.
set -euo pipefail
cd "$(dirname "$0")"
host="${1:-relaymock.local}"
umask 077
if [[ ! -f ca.key ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -keyout ca.key -out ca.crt -subj "/O=relaymock/CN=relaymock local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
  -subj "/O=relaymock/CN=${host}" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -out server.crt \
  -extfile <(printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' "$host") 2>/dev/null
rm -f server.csr
chmod 644 ca.crt server.crt
echo "certs/ca.crt      trust this in clients (e.g. swaks --tls-ca-path certs/ca.crt, curl --cacert certs/ca.crt)"
echo "certs/server.crt  tls.certificate"
echo "certs/server.key  tls.private_key"
