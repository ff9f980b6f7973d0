#!/bin/sh
# Runs the official MCP conformance suites over Streamable HTTP:
#   1. @modelcontextprotocol/conformance@0.1.16, every server scenario
#      (--suite all), against examples/everything-server: all must pass.
#   2. the same suite against `pcf-mcp serve --transport http`, for the
#      protocol-level scenarios listed below (the others call fixture tools,
#      resources and prompts that only everything-server registers).
#   3. @modelcontextprotocol/conformance@0.2.0-alpha.12 --requirements
#      2026-07-28 against everything-server, with expected-2026.yaml as the
#      baseline of known gaps; then the protocol-level scenarios of that
#      requirement set against pcf-mcp (on the fake PCF), judged by
#      verdict.py.
#   4. the official TypeScript SDK client (sdk-client.mjs) with sessions,
#      stateless, and over HTTPS; then pcf-mcp's SIGHUP certificate reload
#      (tls-reload.py) and API-key authentication (auth-http.py).
# Usage: run-conformance.sh BUILDDIR   (needs node; installs tests/e2e deps)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-.}" && pwd)
cd "$here"
[ -d node_modules/@modelcontextprotocol/conformance ] || npm ci --no-audit --no-fund >/dev/null
out=${CONFORMANCE_OUT:-$(mktemp -d)}
mkdir -p "$out"
node="node --import $here/preload.mjs"
old="$node $here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
new="$node $here/node_modules/conformance-next/dist/index.js"
pid=
fakepid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$fakepid" ] && kill "$fakepid" 2>/dev/null
    true
}
trap cleanup EXIT INT TERM
start() { # LOG -- COMMAND...
    log=$1; shift 2
    url=$("$here/start-server.sh" "$log" "$out/pid" -- "$@")
    pid=$(cat "$out/pid")
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }
status=0

echo "== conformance 0.1.16 (all server scenarios) vs everything-server"
start "$out/es1.log" -- "$build/examples/everything-server" --http 0
if ! $old server --url "$url" --suite all -o "$out/v1-everything" >"$out/v1-everything.txt" 2>&1; then
    status=1
fi
grep -E "^(✓|✗)|Total" "$out/v1-everything.txt" || tail -20 "$out/v1-everything.txt"
stop

# Protocol-level scenarios that need no fixtures. Excluded, with the reason:
#  completion-complete, tools-*, json-schema-2020-12, elicitation-*,
#  resources-*, prompts-*: call everything-server's fixtures by name
#  (test_simple_text, test://static-text, test_simple_prompt, ...);
#  server-sse-polling: needs the test_reconnection fixture tool.
echo "== conformance 0.1.16 (protocol scenarios) vs pcf-mcp serve --transport http"
start "$out/pcf.log" -- "$build/pcf-mcp" serve --transport http --server-port 0 --log-format text
for s in server-initialize ping logging-set-level server-sse-multiple-streams dns-rebinding-protection; do
    if $old server --url "$url" --scenario "$s" >"$out/pcf-$s.txt" 2>&1; then
        echo "✓ $s"
    else
        echo "✗ $s"; tail -15 "$out/pcf-$s.txt"; status=1
    fi
done
stop

echo "== conformance 0.2.0-alpha.12 --requirements 2026-07-28 vs everything-server"
start "$out/es2.log" -- "$build/examples/everything-server" --http 0
if ! $new server --url "$url" --requirements 2026-07-28 --expected-failures "$here/expected-2026.yaml" \
        -o "$out/v2-everything" >"$out/v2-everything.txt" 2>&1; then
    status=1
fi
grep -E "^(✓|✗)|Total|Baseline|Unexpected|Stale|  [~✗✓] " "$out/v2-everything.txt" || tail -20 "$out/v2-everything.txt"
stop

# The 2026-07-28 requirement set's protocol-level scenarios against pcf-mcp
# itself (the CLI refuses --requirements with --scenario, so each runs with
# --spec-version 2026-07-28, the same wire); http-header-validation is
# pending in the set (reported, never scored) but pure protocol, so it runs
# and must pass here. The fake PCF stands behind it
# because caching reads a resource, which needs PCF. verdict.py fails on any
# failed check; checks the suite marks untestable (they call diagnostic tools
# such as test_missing_capability, test_logging_tool) and SHOULD warnings are
# listed, not counted. Left out, with the reason:
#  http-custom-header-server-validation: every check needs a tool with
#    x-mcp-header annotations; pcf-mcp's tools declare none, so nothing in it
#    is testable here (the suite says so itself);
#  json-schema-2020-12 (pending in the set): needs everything-server's
#    schema fixture tool;
#  completion-*, tools-*, resources-*, prompts-*, sep-2164-*,
#    input-required-result-*: call everything-server's fixtures by name;
#  tasks-*: the tasks extension is not implemented (expected-2026.yaml).
echo "== conformance 0.2.0-alpha.12 (2026-07-28 protocol scenarios) vs pcf-mcp serve --transport http"
fakepy="${top_srcdir:-$here/../..}/tests/fakepcf/fake_pcf.py"
rm -f "$out/fake.port"
python3 "$fakepy" --port 0 --port-file "$out/fake.port" --seed demo \
    --token 11111111-2222-4333-8444-555555555555 >"$out/fake.log" 2>&1 &
fakepid=$!
i=0
while [ ! -s "$out/fake.port" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
if [ -s "$out/fake.port" ]; then
    start "$out/pcf26.log" -- env PCF_MCP_PCF_URL="http://127.0.0.1:$(cat "$out/fake.port")" \
        PCF_MCP_PCF_TOKEN=11111111-2222-4333-8444-555555555555 \
        "$build/pcf-mcp" serve --transport http --server-port 0 --log-format text
    for s in server-stateless caching server-sse-multiple-streams dns-rebinding-protection \
            http-header-validation; do
        $new server --url "$url" --spec-version 2026-07-28 --scenario "$s" -o "$out/pcf26-$s" \
            >"$out/pcf26-$s.txt" 2>&1 || true
        python3 "$here/verdict.py" "$s" "$out/pcf26-$s" || { tail -15 "$out/pcf26-$s.txt"; status=1; }
    done
    stop
else
    echo "✗ the fake PCF did not start"; cat "$out/fake.log"; status=1
fi
kill "$fakepid" 2>/dev/null || true; wait "$fakepid" 2>/dev/null || true; fakepid=

echo "== official TypeScript SDK client (StreamableHTTPClientTransport)"
start "$out/es3.log" -- "$build/examples/everything-server" --http 0
node "$here/sdk-client.mjs" "$url" || status=1
stop
start "$out/es4.log" -- "$build/examples/everything-server" --http 0 --stateless
node "$here/sdk-client.mjs" "$url" --stateless || status=1
stop
# HTTPS with a CA made now (certtool from gnutls-bin), trusted by Node.
if command -v certtool >/dev/null 2>&1; then
    tls="$out/tls"; mkdir -p "$tls"
    certtool --generate-privkey --key-type=ecdsa --outfile "$tls/ca-key.pem" 2>/dev/null
    printf 'cn = "e2e CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$tls/ca.tmpl"
    certtool --generate-self-signed --load-privkey "$tls/ca-key.pem" --template "$tls/ca.tmpl" \
        --outfile "$tls/ca.pem" 2>/dev/null
    certtool --generate-privkey --key-type=ecdsa --outfile "$tls/key.pem" 2>/dev/null
    printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 2\n' >"$tls/srv.tmpl"
    certtool --generate-certificate --load-privkey "$tls/key.pem" --load-ca-certificate "$tls/ca.pem" \
        --load-ca-privkey "$tls/ca-key.pem" --template "$tls/srv.tmpl" --outfile "$tls/cert.pem" 2>/dev/null
    start "$out/es5.log" -- "$build/examples/everything-server" --http 0 --tls-cert "$tls/cert.pem" --tls-key "$tls/key.pem"
    echo "-- over HTTPS: $url"
    NODE_EXTRA_CA_CERTS="$tls/ca.pem" node "$here/sdk-client.mjs" "$url" || status=1
    stop
    echo "== pcf-mcp serve over HTTPS: SIGHUP certificate swap under an open connection"
    python3 "$here/tls-reload.py" "$build/pcf-mcp" "$out/tls-reload" || status=1
else
    echo "certtool not found (gnutls-bin): HTTPS runs skipped"; status=1
fi

echo "== pcf-mcp serve over HTTP with API keys"
python3 "$here/auth-http.py" "$build/pcf-mcp" "$out/auth" || status=1

if [ $status -eq 0 ]; then
    echo "conformance: all expected results"
    # Keep the evidence only when asked to, or when something failed.
    [ -n "${CONFORMANCE_OUT:-}" ] || rm -rf "$out"
else
    echo "results: $out"
    echo "conformance: FAILED"
fi
exit $status
