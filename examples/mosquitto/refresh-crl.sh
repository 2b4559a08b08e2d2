#!/bin/sh
# Keeps Mosquitto's crlfile fresh from Gatehouse (run from cron or a systemd timer).
#   GATEHOUSE_URL  plain-HTTP base of Gatehouse (http.publicUrl), e.g. http://pki.example:8080
#   ISSUER_ID      the issuing CA id (`gatehouse ca issuers`), CRL at /crl/<id>.pem
#   CRL_FILE       Mosquitto's crlfile;  CHAIN_FILE its cafile (to check the CRL signature)
#   RELOAD         how to send SIGHUP to the broker (default: systemctl reload mosquitto)
# The new CRL replaces the old one only if it parses, is signed by our CA and is not older;
# then Mosquitto gets SIGHUP and applies it to new connections.
set -eu
: "${GATEHOUSE_URL:?}" "${ISSUER_ID:?}"
CRL_FILE=${CRL_FILE:-/etc/mosquitto/gatehouse/crl.pem}
CHAIN_FILE=${CHAIN_FILE:-/etc/mosquitto/gatehouse/chain.pem}
tmp=$(mktemp "${CRL_FILE}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
curl -fsS --max-time 20 "$GATEHOUSE_URL/crl/$ISSUER_ID.pem" -o "$tmp"
openssl crl -in "$tmp" -noout -CAfile "$CHAIN_FILE" 2>&1 | grep -q 'verify OK'
if [ -f "$CRL_FILE" ]; then
  new=$(openssl crl -in "$tmp" -noout -crlnumber | cut -d= -f2)
  old=$(openssl crl -in "$CRL_FILE" -noout -crlnumber | cut -d= -f2)
  [ "$((0x$new))" -ge "$((0x$old))" ] || { echo "refusing older CRL $new < $old" >&2; exit 1; }
fi
chmod 0644 "$tmp"
mv "$tmp" "$CRL_FILE"
trap - EXIT
${RELOAD:-systemctl reload mosquitto}
