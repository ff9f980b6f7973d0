#!/bin/sh
# Installs build and test dependencies from Debian's archive and npm.
# Idempotent and non-interactive; safe to run again.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config \
libcjson-dev libcurl4-gnutls-dev libgnutls28-dev gnutls-bin libmicrohttpd-dev \
libyaml-dev zlib1g-dev check doxygen python3 curl ca-certificates valgrind wrk"
# Node.js runs the official MCP SDK and conformance clients in the tests. Keep a
# newer Node that is already installed (e.g. from NodeSource); otherwise take
# Debian's.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
