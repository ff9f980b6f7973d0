#!/bin/sh
# HTTP and stdio benchmark of the MCP server. Not a test: prints one table.
#   bench/run.sh BUILDDIR [SECONDS]
# Starts examples/everything-server (the fake PCF is not on this branch, so
# the MCP layer is measured against the everything-server's in-process tools),
# runs wrk with 16 connections for tools/list and a tools/call, with a
# session and stateless, then a stdio round trip. Loopback only; bounded.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-.}" && pwd)
secs=${2:-10}
server="$build/examples/everything-server"
[ -x "$server" ] || { echo "build first: $server missing" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)" >&2; exit 1; }
# The libtool wrapper would be measured too: run the real binary.
[ -x "$build/examples/.libs/everything-server" ] && server="$build/examples/.libs/everything-server" &&
    export LD_LIBRARY_PATH="$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

start() {
    "$server" --http 0 "$@" >"$tmp/log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q listening "$tmp/log" && break; sleep 0.1; done
    url=$(grep -o 'http://[^ ]*' "$tmp/log")
}
stop() { kill $pid; wait $pid 2>/dev/null || true; pid=; }
rss() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
session() {
    curl -s -D "$tmp/h" -o /dev/null -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' "$url" \
        -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
    sid=$(awk 'tolower($1)=="mcp-session-id:" {print $2}' "$tmp/h" | tr -d '\r')
    curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -H "Mcp-Session-Id: $sid" "$url" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}
LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
CALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}'
# CPU us/req: the server's user+system time per request. Unlike req/s it
# barely depends on what else runs on the machine (wrk shares the cores).
printf '%-34s %10s %9s %9s %9s %11s %8s\n' "case" "req/s" "p50 ms" "p99 ms" "RSS MiB" "CPU us/req" "errors"
row() { # name resultline rss_kib cpu_ticks
    echo "$2" | awk -v n="$1" -v r="$3" -v t="${4:-0}" -v hz="$(getconf CLK_TCK)" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        cpu = (v["requests"] > 0 && t > 0) ? t * 1e6 / hz / v["requests"] : 0
        printf "%-34s %10d %9.3f %9.3f %9.1f %11.1f %8d\n", n, v["rps"], v["p50_us"]/1000, v["p99_us"]/1000, r/1024, cpu, v["errors"] + v["non200"] }'
}
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
bench() { # name body sid
    t0=$(ticks)
    res=$(MCP_BODY="$2" MCP_SID="$3" wrk -t2 -c16 -d"${secs}s" --latency -s "$here/mcp.lua" "$url" | grep RESULT)
    t1=$(ticks)
    row "$1" "$res" "$(rss)" "$((t1 - t0))"
}
start
session
bench "http tools/list (session)" "$LIST" "$sid"
bench "http tools/call (session)" "$CALL" "$sid"
stop
start --stateless
bench "http tools/list (stateless)" "$LIST" ""
bench "http tools/call (stateless)" "$CALL" ""
stop
res=$(python3 "$here/stdio_bench.py" "$server" 50000)
row "stdio tools/list (pipelined; p=rt)" "$res" "$(echo "$res" | sed 's/.*rss_kib=//')" 0
