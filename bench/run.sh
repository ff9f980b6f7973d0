#!/bin/sh
# HTTP and stdio benchmark of the MCP server. Not a test: prints one table.
#   bench/run.sh BUILDDIR [SECONDS]
# 1. pcf-mcp itself against the fake PCF (demo engagement): wrk with 16
#    connections for tools/list and a PCF-backed tools/call (list_projects;
#    with the read cache, and without it, when the Python fake PCF sets the
#    pace), with a session and stateless; then a stdio round trip.
# 2. examples/everything-server: the MCP layer alone (in-process tools).
# 3. bench/raw-mhd: bare libmicrohttpd with pcf-mcp's daemon flags answering
#    a fixed body (3 KB, and the size of pcf-mcp's tools/list page): the
#    ceiling of this machine, measured in the same run.
# RSS is the peak resident set, most of it shared library pages (libcurl,
# GnuTLS...); "anon MiB" is the private memory at the end of the load.
# Loopback only; bounded.
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
# pcf-mcp serve --transport http on an ephemeral port; the URL is in its log.
start_pcf() {
    PCF_MCP_PCF_URL=$fake_url PCF_MCP_PCF_TOKEN=$token "$pcfmcp" --transport http \
        --server-port 0 --log-level info --log-format text \
        --rate-limit-requests-per-second 0 --rate-limit-write-requests-per-second 0 \
        --mcp-workers 4 "$@" >"$tmp/log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q 'listening on http' "$tmp/log" && break; sleep 0.1; done
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/log" | head -1)/mcp
}
stop() { kill $pid; wait $pid 2>/dev/null || true; pid=; }
rss() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
anon() { awk '/RssAnon/ {print $2}' /proc/$pid/status; }
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
printf '%-44s %8s %7s %7s %8s %9s %10s %6s\n' "case" "req/s" "p50 ms" "p99 ms" "RSS MiB" "anon MiB" "CPU us/req" "errors"
row() { # name resultline rss_kib cpu_ticks anon_kib
    echo "$2" | awk -v n="$1" -v r="$3" -v t="${4:-0}" -v a="${5:-0}" -v hz="$(getconf CLK_TCK)" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        cpu = (v["requests"] > 0 && t > 0) ? sprintf("%.1f", t * 1e6 / hz / v["requests"]) : "-"
        printf "%-44s %8d %7.3f %7.3f %8.1f %9.1f %10s %6d\n", n, v["rps"], v["p50_us"]/1000, v["p99_us"]/1000, r/1024, a/1024, cpu, v["errors"] + v["non200"] }'
}
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
bench() { # name body sid
    t0=$(ticks)
    res=$(MCP_BODY="$2" MCP_SID="$3" wrk -t2 -c16 -d"${secs}s" --latency -s "$here/mcp.lua" "$url" | grep RESULT)
    t1=$(ticks)
    row "$1" "$res" "$(rss)" "$((t1 - t0))" "$(anon)"
}
# ------------------------------------------------ pcf-mcp and the fake PCF
pcfmcp="$build/pcf-mcp"
[ -x "$build/.libs/pcf-mcp" ] && pcfmcp="$build/.libs/pcf-mcp" &&
    export LD_LIBRARY_PATH="$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
token=11111111-2222-4333-8444-555555555555
python3 "$here/../tests/fakepcf/fake_pcf.py" --seed demo --token "$token" --port 0 \
    --port-file "$tmp/fakeport" >/dev/null 2>&1 &
fakepid=$!
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; kill $fakepid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
for _ in $(seq 100); do [ -s "$tmp/fakeport" ] && break; sleep 0.05; done
fake_url="http://127.0.0.1:$(cat "$tmp/fakeport")"
PCALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_projects","arguments":{}}}'
start_pcf --cache-enabled
session
list_bytes=$(curl -s -o /dev/null -w '%{size_download}' -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" "$url" -d "$LIST")
bench "pcf-mcp tools/list (session)" "$LIST" "$sid"
bench "pcf-mcp list_projects, cached (session)" "$PCALL" "$sid"
stop
start_pcf --cache-enabled --stateless
bench "pcf-mcp tools/list (stateless)" "$LIST" ""
bench "pcf-mcp list_projects, cached (stateless)" "$PCALL" ""
stop
# Before the uncached run: the Python fake PCF is still working off the
# requests wrk left queued there for a while after it stops.
res=$(PCF_MCP_PCF_URL=$fake_url PCF_MCP_PCF_TOKEN=$token PCF_MCP_LOG_LEVEL=warn \
      PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND=0 PCF_MCP_AUDIT_ENABLED=false \
      python3 "$here/stdio_bench.py" "$pcfmcp" 50000)
stdio_row() { row "$1" "$2" "$(echo "$2" | sed 's/.*rss_kib=//')" 0 "$(echo "$2" | sed 's/.*anon_kib=\([0-9]*\).*/\1/')"; }
stdio_row "pcf-mcp stdio tools/list (pipelined)" "$res"
start_pcf
session
bench "pcf-mcp list_projects, uncached" "$PCALL" "$sid"
stop
# The rest needs no PCF; a fake still busy with wrk's leftovers would take
# a core from the measurements below.
kill $fakepid 2>/dev/null; wait $fakepid 2>/dev/null || true

# --------------------------------------------- everything-server (MCP layer)
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
stdio_row "stdio tools/list (pipelined; p=rt)" "$res"

# ------------------------------------------------ bare libmicrohttpd ceiling
raw="$build/bench/raw-mhd"
[ -x "$raw" ] || { echo "build first: $raw missing" >&2; exit 1; }
for size in 3072 "$list_bytes"; do
    "$raw" 0 "$size" 2 >"$tmp/log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q listening "$tmp/log" && break; sleep 0.1; done
    url=$(grep -o 'http://[^ ]*' "$tmp/log")/mcp
    bench "raw libmicrohttpd, $size-byte body" "$LIST" ""
    stop
done
