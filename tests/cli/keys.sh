#!/bin/sh
# `pcf-mcp keys new/hash` make lines the HTTP transport accepts: a key made
# by `keys new` opens a session, another key is refused with 401, and the
# keys file never holds the key itself.
set -eu
: "${top_builddir:?}"
bin="$top_builddir/pcf-mcp"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$bin" keys new alice >"$tmp/keys" 2>"$tmp/shown"
key=$(tail -n 1 "$tmp/shown")
grep -q "^alice sha256:[0-9a-f]\{64\}\$" "$tmp/keys" || { echo "FAIL: bad keys line"; cat "$tmp/keys"; exit 1; }
grep -q -- "$key" "$tmp/keys" && { echo "FAIL: the key itself reached the keys file"; exit 1; }
# `keys hash` of the same key gives the same line.
[ "$(printf '%s\n' "$key" | "$bin" keys hash alice)" = "$(cat "$tmp/keys")" ] ||
    { echo "FAIL: keys hash disagrees with keys new"; exit 1; }
if "$bin" keys hash 'no spaces' </dev/null 2>/dev/null; then echo "FAIL: bad name accepted"; exit 1; fi
chmod 600 "$tmp/keys"
"$bin" --transport http --server-port 0 --auth-api-keys-file "$tmp/keys" --log-format text \
    --log-level info >/dev/null 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on http' "$tmp/log" && break; sleep 0.05; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/log" | head -1)/mcp
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}'
code() {
    curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H "Authorization: Bearer $1" -d "$init" "$url"
}
[ "$(code "$key")" = 200 ] || { echo "FAIL: the new key was refused"; exit 1; }
[ "$(code "pcfmcp_not-the-right-key-at-all-0123456789")" = 401 ] || { echo "FAIL: a wrong key was accepted"; exit 1; }
echo "keys new/hash lines are accepted by the HTTP transport; wrong keys get 401"
