#!/bin/sh
# HTTP and stdio benchmark of pcf-mcp against the ceilings it is measured
# by, in one run. Not a test: prints one table and the ratios of issue 11's
# targets (README.md, Performance, explains each row; bench/PROFILE.md the
# profile).
#   bench/run.sh BUILDDIR [SECONDS]
# 1. The ceilings: bench/raw-mhd (bare libmicrohttpd with pcf-mcp's daemon
#    flags answering a fixed body) at 3 KB and at the size of each pcf-mcp
#    answer below, gzip'ed tools/list included; bench/fake-pcf (a fast fake
#    PCF in C) loaded directly.
# 2. pcf-mcp against bench/fake-pcf: tools/list (plain and gzip),
#    list_projects with the cache (cache.enabled) and without it, stateless
#    and with a session.
# 3. The official TypeScript SDK (bench/ts_peer.mjs) doing list_projects
#    against the same fake PCF.
# 4. stdio: the tools/list round trip, pipelined tools/list and ping.
# wrk: 1 thread, 16 connections, as in the issue. RSS is the peak resident
# set, most of it shared library pages; "anon MiB" is the private memory at
# the end of the load. Loopback only; bounded. Ratios are of this one run:
# on a shared machine compare rows of the same run, never across runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-.}" && pwd)
secs=${2:-10}
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)" >&2; exit 1; }
pcfmcp="$build/pcf-mcp"
[ -x "$build/.libs/pcf-mcp" ] && pcfmcp="$build/.libs/pcf-mcp" &&
    export LD_LIBRARY_PATH="$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for b in "$build/bench/raw-mhd" "$build/bench/fake-pcf" "$pcfmcp"; do
    [ -x "$b" ] || { echo "build first: $b missing" >&2; exit 1; }
done
modules=${PCFMCP_E2E_MODULES:-$here/../tests/e2e/node_modules}
tmp=$(mktemp -d)
pid= fakepid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$fakepid" ] && kill $fakepid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
token=11111111-2222-4333-8444-555555555555

waitfor() { # pattern log
    for _ in $(seq 150); do grep -q "$1" "$2" && return 0; sleep 0.1; done
    echo "did not start: $(cat "$2")" >&2
    exit 1
}
stop() { kill $pid; wait $pid 2>/dev/null || true; pid=; }
rss() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
anon() { awk '/RssAnon/ {print $2}' /proc/$pid/status; }
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
# CPU us/req: the server's user+system time per request. Unlike req/s it
# barely depends on what else runs on the machine (wrk shares the cores).
printf '%-46s %8s %7s %7s %8s %9s %10s %6s\n' "case" "req/s" "p50 ms" "p99 ms" "RSS MiB" "anon MiB" "CPU us/req" "errors"
row() { # name resultline rss_kib cpu_ticks anon_kib
    echo "$2" | awk -v n="$1" -v r="$3" -v t="${4:-0}" -v a="${5:-0}" -v hz="$(getconf CLK_TCK)" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        cpu = (v["requests"] > 0 && t > 0) ? sprintf("%.1f", t * 1e6 / hz / v["requests"]) : "-"
        printf "%-46s %8d %7.3f %7.3f %8.1f %9.1f %10s %6d\n", n, v["rps"], v["p50_us"]/1000, v["p99_us"]/1000, r/1024, a/1024, cpu, v["errors"] + v["non200"] }'
}
# bench NAME BODY SID [ENCODING] [PATH]: one wrk run; its req/s lands in $tmp/rps.NAME.
bench() {
    t0=$(ticks)
    res=$(MCP_BODY="$2" MCP_SID="$3" MCP_ENCODING="${4:-}" wrk -t1 -c16 -d"${secs}s" --latency \
          -s "$here/mcp.lua" "$url${5:-}" | grep RESULT)
    t1=$(ticks)
    row "$1" "$res" "$(rss)" "$((t1 - t0))" "$(anon)" | tee -a "$tmp/rows"
    echo "$res" | sed 's/.*rps=\([0-9]*\).*/\1/' >"$tmp/rps.$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)"
    anon >>"$tmp/anon.$(basename "$pidname")"
}
rps_of() { cat "$tmp/rps.$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)"; }
session() {
    curl -s -D "$tmp/h" -o /dev/null -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' "$url" \
        -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
    sid=$(awk 'tolower($1)=="mcp-session-id:" {print $2}' "$tmp/h" | tr -d '\r')
    curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -H "Mcp-Session-Id: $sid" "$url" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}
size_of() { # body [encoding]
    curl -s -o /dev/null -w '%{size_download}' -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
        ${2:+-H "Accept-Encoding: $2"} "$url" -d "$1"
}
LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
PCALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_projects","arguments":{}}}'

# ------------------------------------------------------------ fake PCF alone
"$build/bench/fake-pcf" 0 2 "$here/pcf" >"$tmp/fake.log" 2>&1 &
fakepid=$!
waitfor listening "$tmp/fake.log"
fake_url=$(grep -o 'http://[^ ]*' "$tmp/fake.log")
pid=$fakepid pidname=fake url=$fake_url
bench "fake PCF alone (POST /api/v1/projects)" "{\"access_token\":\"$token\"}" "" "" /api/v1/projects
pid=

# ------------------------------------------------------------ pcf-mcp
start_pcf() {
    PCF_MCP_PCF_URL=$fake_url PCF_MCP_PCF_TOKEN=$token "$pcfmcp" --transport http \
        --server-port 0 --log-level info --log-format text \
        --rate-limit-requests-per-second 0 --rate-limit-write-requests-per-second 0 \
        --mcp-workers 4 "$@" >"$tmp/log" 2>&1 &
    pid=$! pidname=pcfmcp
    waitfor 'listening on http' "$tmp/log"
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/log" | head -1)/mcp
}
start_pcf --cache-enabled --stateless
list_bytes=$(size_of "$LIST")
listgz_bytes=$(size_of "$LIST" gzip)
call_bytes=$(size_of "$PCALL")
bench "pcf-mcp tools/list (stateless)" "$LIST" ""
bench "pcf-mcp tools/list, gzip (stateless)" "$LIST" "" gzip
bench "pcf-mcp list_projects, cached (stateless)" "$PCALL" ""
stop
start_pcf --cache-enabled
session
bench "pcf-mcp tools/list (session)" "$LIST" "$sid"
bench "pcf-mcp list_projects, cached (session)" "$PCALL" "$sid"
stop
start_pcf --stateless
bench "pcf-mcp list_projects, uncached (stateless)" "$PCALL" ""
stop

# ------------------------------------------------------------ TypeScript SDK peer
if [ -d "$modules/@modelcontextprotocol/sdk" ] && command -v node >/dev/null; then
    PCFMCP_E2E_MODULES=$modules PCF_MCP_PCF_URL=$fake_url PCF_MCP_PCF_TOKEN=$token \
        node "$here/ts_peer.mjs" http 0 >"$tmp/log" 2>&1 &
    pid=$! pidname=tspeer
    waitfor listening "$tmp/log"
    url=$(grep -o 'http://[^ ]*' "$tmp/log")/mcp
    bench "TS SDK peer list_projects (stateless)" "$PCALL" ""
    stop
else
    echo "(no TypeScript SDK under $modules: peer skipped)"
fi
kill $fakepid 2>/dev/null; wait $fakepid 2>/dev/null || true
fakepid=

# ------------------------------------------------------------ ceilings
for size in 3072 "$list_bytes" "$listgz_bytes" "$call_bytes"; do
    "$build/bench/raw-mhd" 0 "$size" 2 >"$tmp/log" 2>&1 &
    pid=$! pidname=raw
    waitfor listening "$tmp/log"
    url=$(grep -o 'http://[^ ]*' "$tmp/log")/mcp
    bench "raw libmicrohttpd, $size-byte body" "$LIST" ""
    stop
done

# ------------------------------------------------------------ stdio
"$build/bench/fake-pcf" 0 1 "$here/pcf" >"$tmp/fake.log" 2>&1 &
fakepid=$!
waitfor listening "$tmp/fake.log"
fake_url=$(grep -o 'http://[^ ]*' "$tmp/fake.log")
stdio_row() { # name result
    row "$1" "$2" "$(echo "$2" | sed 's/.*rss_kib=//')" 0 "$(echo "$2" | sed 's/.*anon_kib=\([0-9]*\).*/\1/')" | tee -a "$tmp/rows"
    echo "$2" | sed 's/.*ping_rps=\([0-9]*\).*/ping pipelined: \1 req\/s/'
}
res=$(PCF_MCP_PCF_URL=$fake_url PCF_MCP_PCF_TOKEN=$token PCF_MCP_LOG_LEVEL=warn \
      PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND=0 PCF_MCP_AUDIT_ENABLED=false \
      python3 "$here/stdio_bench.py" "$pcfmcp" 20000)
stdio_row "pcf-mcp stdio tools/list (p=round trip)" "$res"
stdio_p50=$(echo "$res" | sed 's/.*p50_us=\([0-9]*\).*/\1/')
stdio_ping=$(echo "$res" | sed 's/.*ping_rps=\([0-9]*\).*/\1/')
stdio_anon=$(echo "$res" | sed 's/.*anon_kib=\([0-9]*\).*/\1/')
if [ -d "$modules/@modelcontextprotocol/sdk" ] && command -v node >/dev/null; then
    res=$(PCFMCP_E2E_MODULES=$modules PCF_MCP_PCF_URL=$fake_url PCF_MCP_PCF_TOKEN=$token \
          python3 "$here/stdio_bench.py" "node $here/ts_peer.mjs stdio" 2000)
    stdio_row "TS SDK peer stdio tools/list (p=round trip)" "$res"
fi

# ------------------------------------------------------------ the targets
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
max_anon=$(cat "$tmp/anon.pcfmcp" | sort -n | tail -1)
echo
echo "targets (issue 11), ratios of this run:"
printf '  %-58s %6s  (target >= 0.7)\n' "tools/list / raw at the same size ($list_bytes B)" \
    "$(ratio "$(rps_of "pcf-mcp tools/list (stateless)")" "$(rps_of "raw libmicrohttpd, $list_bytes-byte body")")"
printf '  %-58s %6s  (target >= 0.7)\n' "tools/list gzip / raw at the same size ($listgz_bytes B)" \
    "$(ratio "$(rps_of "pcf-mcp tools/list, gzip (stateless)")" "$(rps_of "raw libmicrohttpd, $listgz_bytes-byte body")")"
printf '  %-58s %6s  (target >= 0.5)\n' "cached list_projects / raw at the same size ($call_bytes B)" \
    "$(ratio "$(rps_of "pcf-mcp list_projects, cached (stateless)")" "$(rps_of "raw libmicrohttpd, $call_bytes-byte body")")"
printf '  %-58s %6s  (target >= 0.4)\n' "uncached list_projects / fake PCF alone" \
    "$(ratio "$(rps_of "pcf-mcp list_projects, uncached (stateless)")" "$(rps_of "fake PCF alone (POST /api/v1/projects)")")"
[ -f "$tmp/rps.TS_SDK_peer_list_projects__stateless_" ] &&
    printf '  %-58s %5sx\n' "uncached list_projects / TS SDK peer" \
        "$(ratio "$(rps_of "pcf-mcp list_projects, uncached (stateless)")" "$(rps_of "TS SDK peer list_projects (stateless)")")"
printf '  %-58s %6s  (target <= 0.5)\n' "stdio tools/list round trip, p50 ms" "$(awk -v u="$stdio_p50" 'BEGIN { printf "%.3f", u / 1000 }')"
printf '  %-58s %6s  (target >= 100000)\n' "stdio ping pipelined, req/s" "$stdio_ping"
printf '  %-58s %6s  (target <= 8)\n' "private memory under load, MiB (HTTP max; stdio)" \
    "$(awk -v a="$max_anon" -v s="$stdio_anon" 'BEGIN { printf "%.1f; %.1f", a / 1024, s / 1024 }')"
