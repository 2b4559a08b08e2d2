#!/usr/bin/env bash
# Installs the real clients that Gatehouse's interop tests drive (Debian 12 packages).
# Idempotent: packages already present are skipped. Needs root (or sudo) and apt.
# The list is the single source of truth; test/helpers/tools.ts names the same programs.
set -euo pipefail

PACKAGES=(
  openssl          # openssl verify / crl / ocsp / asn1parse
  gnutls-bin       # certtool -i, certtool --verify-crl (an independent parser)
  dumpasn1         # ASN.1 inspection
  curl             # EST client (with openssl)
  scep             # micromdm scepclient
  certmonger       # scep-submit (second SCEP client)
  eapoltest        # eapol_test: EAP-TLS supplicant
  freeradius-utils # radclient
  python3-pyrad    # DAS receiving Disconnect-Request in tests
  radsecproxy      # RadSec client side
  mosquitto        # MQTT broker with device certificates
  mosquitto-clients
  chromium         # headless browser for the broker flow
  iproute2
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-tools: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "install-test-tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps CI fast; policy-rc.d stops services from auto-starting.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-tools: done"
