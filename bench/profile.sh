#!/bin/sh
# Instruction counts per request, under callgrind: repeatable where req/s on
# a shared machine is not. Not a test: prints one table, and with -o DIR
# keeps each case's callgrind files and its top functions (self cost per
# request, bench/cgdiff.py) there.
#   bench/profile.sh BUILDDIR [N] [-o DIR]
# Each case runs pcf-mcp over stdio against bench/fake-pcf twice, with N and
# 2N requests after initialize; the difference divided by N is the cost of
# one request, start-up and the first (uncached) call cancelled out.
# Cases: ping; tools/list; list_projects with the cache (cache.enabled) and
# without it (every call reaches the fake PCF over loopback HTTP).
# PCFMCP_BIN=path profiles another pcf-mcp binary (the "before" of a change:
# a copy of another build's .libs/pcf-mcp with its libpcfmcp.so beside it)
# against this build's bench/fake-pcf.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-.}" && pwd)
n=${2:-200}
keep=
[ "${3:-}" = "-o" ] && keep=$(mkdir -p "$4" && cd "$4" && pwd)
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
pcfmcp="$build/pcf-mcp"
[ -x "$build/.libs/pcf-mcp" ] && pcfmcp="$build/.libs/pcf-mcp" &&
    export LD_LIBRARY_PATH="$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -n "${PCFMCP_BIN:-}" ]; then
    pcfmcp=$PCFMCP_BIN
    export LD_LIBRARY_PATH="$(dirname "$PCFMCP_BIN")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
tmp=$(mktemp -d)
fakepid=
trap '[ -n "$fakepid" ] && kill $fakepid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
"$build/bench/fake-pcf" 0 1 "$here/pcf" >"$tmp/fake.log" 2>&1 &
fakepid=$!
for _ in $(seq 50); do grep -q listening "$tmp/fake.log" && break; sleep 0.1; done
fake_url=$(grep -o 'http://[^ ]*' "$tmp/fake.log")

input() { # count request
    echo '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"profile","version":"1"}}}'
    echo '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    i=0
    while [ $i -lt "$1" ]; do echo "$2"; i=$((i + 1)); done
}
# Total instructions of one run (all threads). The queue is unbounded in
# effect: every request is written at once, and a build that queues each
# call (no inline cached answers) would otherwise refuse some as busy.
run() { # name count request extra-env
    input "$2" "$3" >"$tmp/in"
    env PCF_MCP_PCF_URL="$fake_url" PCF_MCP_PCF_TOKEN=11111111-2222-4333-8444-555555555555 \
        PCF_MCP_LOG_LEVEL=error PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND=0 \
        PCF_MCP_RATE_LIMIT_WRITE_REQUESTS_PER_SECOND=0 PCF_MCP_AUDIT_ENABLED=false \
        PCF_MCP_MCP_QUEUE=1000000 $4 \
        valgrind --tool=callgrind --callgrind-out-file="$tmp/$1.$2.out" "$pcfmcp" \
        <"$tmp/in" >"$tmp/$1.$2.stdout" 2>"$tmp/$1.$2.err"
    # Every request answered, none with an error.
    got=$(grep -c '"id":' "$tmp/$1.$2.stdout" || true)
    if [ "$got" -ne $(($2 + 1)) ] || grep -q '"isError":true}\|^{"jsonrpc":"2.0","id":[^,]*,"error"' "$tmp/$1.$2.stdout"; then
        echo "profile: $1 answered $got of $(($2 + 1)) or failed; see $tmp/$1.$2.stdout" >&2
        trap - EXIT
        exit 1
    fi
    awk '/^summary:|^totals:/ {print $2; exit}' "$tmp/$1.$2.out"
}
printf '%-34s %14s\n' "case" "instr/request"
case_() { # name request extra-env
    a=$(run "$1" "$n" "$2" "${3:-}")
    b=$(run "$1" $((2 * n)) "$2" "${3:-}")
    printf '%-34s %14d\n' "$1" $(((b - a) / n))
    if [ -n "$keep" ]; then
        cp "$tmp/$1.$n.out" "$keep/$1.$n.callgrind"
        cp "$tmp/$1.$((2 * n)).out" "$keep/$1.$((2 * n)).callgrind"
        python3 "$here/cgdiff.py" "$tmp/$1.$n.out" "$tmp/$1.$((2 * n)).out" "$n" 25 \
            >"$keep/$1.top.txt"
    fi
}
PING='{"jsonrpc":"2.0","id":1,"method":"ping"}'
LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
CALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_projects","arguments":{}}}'
case_ ping "$PING"
case_ tools_list "$LIST"
case_ list_projects_cached "$CALL" PCF_MCP_CACHE_ENABLED=true
case_ list_projects_uncached "$CALL" PCF_MCP_CACHE_ENABLED=false
