#!/bin/sh
# The C developer's path after `make install` (run by installcheck, so by
# distcheck): with only the installed pcfmcp.pc visible, pkg-config works;
# the installed examples build with their own Makefile; hello-tool answers a
# tool call over stdio and answer-one in memory.
set -eu
: "${libdir:?}" "${examplesdir:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PKG_CONFIG_LIBDIR="$libdir/pkgconfig"
PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH
pkg-config --cflags --libs pcfmcp >/dev/null || fail "pkg-config --cflags --libs pcfmcp"
[ -f "$examplesdir/Makefile" ] || fail "no Makefile in $examplesdir"
cp -R "$examplesdir" "$tmp/examples"
make -s -C "$tmp/examples" CFLAGS="-O2 -Wall -Wextra -Werror" || fail "the installed examples do not build"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
out=$(printf '%s\n' \
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"ada"}}}' |
    "$tmp/examples/hello-tool")
echo "$out" | grep -q '"id":1,.*Hello, ada!' || fail "hello-tool did not greet: $out"
out=$("$tmp/examples/answer-one" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}')
echo "$out" | grep -q '"structuredContent":{"sum":5}' || fail "answer-one: $out"
echo "installed examples build with pkg-config and answer"
