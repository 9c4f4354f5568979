#!/usr/bin/env bash
# Installs the SIP test peers (sipp from Debian's sip-tester, and kamailio) when missing.
# Quiet and idempotent: does nothing when both commands are already on PATH; apt's chatter is
# printed only when the install fails.
set -euo pipefail

missing=()
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! {
  $SUDO env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l \
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
} >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-sip-peers: could not install ${missing[*]}" >&2
  exit 1
fi
# The package may enable a system kamailio service; the tests start their own instances.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
fi
