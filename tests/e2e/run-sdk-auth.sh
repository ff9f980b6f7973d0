#!/bin/sh
# The official TypeScript SDK client against `pcf-mcp serve --transport http`
# (backed by the fake PCF) with API keys, OAuth access tokens and HTTPS;
# tests/e2e/sdk-auth.mjs says what is checked. The CA and the server
# certificate are made here with certtool (gnutls-bin), because Node reads
# NODE_EXTRA_CA_CERTS only when it starts.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prepare.sh"
for tool in python3 certtool curl; do
    command -v $tool >/dev/null 2>&1 || { echo "e2e: $tool is not installed" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
tls="$work/tls"; mkdir -p "$tls"
certtool --generate-privkey --key-type=ecdsa --outfile "$tls/ca-key.pem" 2>/dev/null
printf 'cn = "sdk-auth e2e CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$tls/ca.tmpl"
certtool --generate-self-signed --load-privkey "$tls/ca-key.pem" --template "$tls/ca.tmpl" \
    --outfile "$tls/ca.pem" 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --outfile "$tls/key.pem" 2>/dev/null
printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 2\n' \
    >"$tls/srv.tmpl"
certtool --generate-certificate --load-privkey "$tls/key.pem" --load-ca-certificate "$tls/ca.pem" \
    --load-ca-privkey "$tls/ca-key.pem" --template "$tls/srv.tmpl" --outfile "$tls/cert.pem" 2>/dev/null
status=0
NODE_EXTRA_CA_CERTS="$tls/ca.pem" node "$E2E/sdk-auth.mjs" "$top_builddir/pcf-mcp" \
    "$top_srcdir/tests/fakepcf/fake_pcf.py" "$work/run" "$tls" || status=$?
# Keep the server logs of a failed run.
if [ $status -ne 0 ]; then
    keep=$(mktemp -d); cp -R "$work/run" "$keep/" 2>/dev/null || true
    echo "logs: $keep/run"
fi
exit $status
