#!/bin/sh
# `pcf-mcp config check` names file, line and key for every error: bad
# values, unreadable secret files, cross-key rules, bad proxy networks; the
# environment and flags are named the same way. Exit status 2 on errors.
set -u
: "${top_builddir:=.}"
bin="$top_builddir/pcf-mcp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
env_clean() { env $(env | sed -n 's/^\(PCF_MCP_[A-Z_]*\)=.*/-u \1/p') "$@"; }

expect() { # expect STATUS PATTERN -- command...
    want_status=$1 pattern=$2
    shift 3
    out=$(env_clean "$@" 2>&1)
    st=$?
    if [ "$st" -ne "$want_status" ]; then
        echo "FAIL: '$*' exited $st, want $want_status:"; echo "$out"; fail=1; return
    fi
    if ! printf '%s\n' "$out" | grep -F -q -- "$pattern"; then
        echo "FAIL: '$*' does not say: $pattern"; echo "$out"; fail=1
    fi
}

cat > "$tmp/bad.yaml" <<YAML
pcf:
  url: http://pcf.example
  client_cert: /etc/cert.pem
  token_file: $tmp/missing-token
rate_limit:
  burst: 0
  trusted_proxies:
    - 10.0.0.0/8
    - not-a-network
tracing:
  sample_ratio: 5
YAML
expect 2 "$tmp/bad.yaml:6: rate_limit.burst: expected an integer from 1" -- "$bin" config check "$tmp/bad.yaml"
expect 2 "$tmp/bad.yaml:11: tracing.sample_ratio: expected a number from 0.001 to 1" -- "$bin" config check "$tmp/bad.yaml"
expect 2 "$tmp/bad.yaml:4: pcf.token_file: cannot read $tmp/missing-token" -- "$bin" config check "$tmp/bad.yaml"

cat > "$tmp/cross.yaml" <<YAML
pcf:
  url: http://pcf.example
  client_cert: /etc/cert.pem
rate_limit:
  trusted_proxies: [10.0.0.0/8, not-a-network]
YAML
expect 2 "$tmp/cross.yaml:3: pcf.client_cert is set but pcf.client_key is not" -- "$bin" config check "$tmp/cross.yaml"
cat > "$tmp/proxy.yaml" <<YAML
rate_limit:
  trusted_proxies: [10.0.0.0/8, not-a-network]
YAML
expect 2 "$tmp/proxy.yaml:2: rate_limit.trusted_proxies: \"not-a-network\" is not an IP address" -- "$bin" config check "$tmp/proxy.yaml"
expect 2 "environment PCF_MCP_TRACING_ENABLED: tracing.enabled is true but tracing.endpoint is empty" -- env PCF_MCP_TRACING_ENABLED=true "$bin" config check "$tmp/proxy.yaml"
expect 2 "--rate-limit-burst: rate_limit.burst: expected an integer" -- "$bin" --rate-limit-burst=none config check "$tmp/proxy.yaml"

cat > "$tmp/good.yaml" <<YAML
rate_limit:
  requests_per_second: 2.5
  burst: 10
  trusted_proxies: [10.0.0.0/8, "fd00::/8"]
tracing:
  enabled: true
  endpoint: http://otel-collector:4318
  sample_ratio: 0.01
audit:
  file: $tmp/audit.jsonl
cache:
  enabled: true
  ttl: 15s
tools:
  timeout: 90s
server:
  shutdown_grace: 20s
YAML
expect 0 "$tmp/good.yaml: OK" -- "$bin" config check "$tmp/good.yaml"
[ -e "$tmp/audit.jsonl" ] && { echo "FAIL: config check created the audit file"; fail=1; }
expect 0 "rate_limit.requests_per_second" -- "$bin" config reference --format markdown
expect 0 ".SH TIMEOUTS" -- "$bin" config reference --format man
expect 2 "must be man, man-flags or markdown" -- "$bin" config reference --format html

# Credentials in URLs: pcf.url refuses them; config dump never prints them,
# whatever key holds the URL.
expect 2 "pcf.url carries credentials" -- "$bin" --pcf-url https://admin:hunter2@pcf.example config check "$tmp/good.yaml"
out=$(env_clean "$bin" --tracing-endpoint "https://otel:SeCrEt@collector:4318/v1/traces?api_key=K3Y" \
      --auth-oauth-jwks-url "https://idp.example/jwks?token=T0K" config dump 2>&1)
case "$out" in
*SeCrEt* | *K3Y* | *T0K*) echo "FAIL: config dump printed a credential:"; echo "$out"; fail=1 ;;
esac
printf '%s\n' "$out" | grep -F -q 'https://[REDACTED]@collector:4318/v1/traces?api_key=[REDACTED]' ||
    { echo "FAIL: config dump did not show the redacted tracing endpoint"; echo "$out"; fail=1; }

# Secrets every user can read: warned about, not refused.
printf '11111111-2222-4333-8444-555555555555\n' > "$tmp/token"
chmod 0644 "$tmp/token"
cat > "$tmp/readable.yaml" <<YAML
pcf:
  url: https://pcf.example
  token_file: $tmp/token
YAML
expect 0 "warning: $tmp/readable.yaml:3: pcf.token_file: $tmp/token is readable by every user" -- "$bin" config check "$tmp/readable.yaml"
chmod 0600 "$tmp/token"
out=$(env_clean "$bin" config check "$tmp/readable.yaml" 2>&1)
case "$out" in *warning*) echo "FAIL: a 0600 token file was warned about: $out"; fail=1 ;; esac
exit $fail
