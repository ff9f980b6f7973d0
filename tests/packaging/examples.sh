#!/bin/sh
# The embedding guide's examples, built in this tree: hello-tool answers a
# tool call over stdio (arguments read with args.h), answer-one answers in
# memory with pcfmcp_engine_answer(), and the guide includes both.
set -eu
: "${top_builddir:?}" "${top_srcdir:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$(printf '%s\n' \
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"ada"}}}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet","arguments":{"name":7}}}' |
    "$top_builddir/examples/hello-tool")
echo "$out" | grep -q '"id":1,.*Hello, ada!' || fail "hello-tool did not greet: $out"
# A wrong type is refused by the schema before the handler runs.
echo "$out" | grep -q '"id":2,' || fail "hello-tool did not answer id 2: $out"
out=$("$top_builddir/examples/answer-one" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3.5}}}')
echo "$out" | grep -q '"structuredContent":{"sum":5.5}' || fail "answer-one: $out"
out=$("$top_builddir/examples/answer-one" '{"jsonrpc":"2.0","method":"notifications/initialized"}')
[ -z "$out" ] || fail "answer-one printed an answer to a notification: $out"
for f in hello-tool.c answer-one.c; do
    grep -q "@include $f" "$top_srcdir/docs/mainpage.md" || fail "the guide does not include $f"
done
echo "examples answer over stdio and in memory"
