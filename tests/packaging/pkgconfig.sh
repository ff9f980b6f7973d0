#!/bin/sh
# pcfmcp.pc works on a machine that has libpcfmcp-dev and nothing else: with
# only our .pc visible (no libcurl, gnutls, ... .pc files, as on a clean
# system where libpcfmcp-dev pulls in none of their -dev packages),
# `pkg-config --cflags --libs pcfmcp` succeeds, and the .pc names the
# project's URL.
set -eu
: "${top_builddir:?}"
pc="$top_builddir/pcfmcp.pc"
[ -f "$pc" ] || { echo "FAIL: $pc missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$pc" "$tmp/"
out=$(PKG_CONFIG_LIBDIR="$tmp" PKG_CONFIG_PATH= pkg-config --cflags --libs pcfmcp 2>&1) ||
    { echo "FAIL: pkg-config --cflags --libs pcfmcp with only pcfmcp.pc: $out"; exit 1; }
case "$out" in *-lpcfmcp*) ;; *) echo "FAIL: no -lpcfmcp in: $out"; exit 1 ;; esac
url=$(sed -n 's/^URL: *//p' "$pc")
case "$url" in https://*) ;; *) echo "FAIL: URL: is \"$url\""; exit 1 ;; esac
# The public headers need nothing from the dependencies' headers, which is
# what lets the .pc leave them out (no static library is shipped).
if grep -hE '^#include <(curl|cjson|gnutls|microhttpd|yaml|zlib)' "${top_srcdir:?}"/include/pcfmcp/*.h; then
    echo "FAIL: a public header includes a dependency's header"; exit 1
fi
echo "pkg-config --cflags --libs pcfmcp: $out"
