#!/bin/sh
# What a desktop user meets on the command line: `serve --help` is about
# serve, the help names each flag's real environment variable, a secret
# given as a flag points to the environment and its *_file flag, a
# misspelt command gets a suggestion, and `config check` works without a
# file (desktop clients configure through the environment) and with an
# empty section.
set -eu
: "${top_builddir:?}"
bin="$top_builddir/pcf-mcp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $1"; cat "$tmp/out" "$tmp/err" 2>/dev/null; exit 1; }
# Runs the command expecting exit status $1, output in $tmp/out and $tmp/err.
expect() {
    want=$1; shift
    rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" = "$want" ] || fail "expected exit status $want, got $rc from: $*"
}
has() { grep -qF -- "$2" "$tmp/$1" || fail "missing in $1: \"$2\""; }
hasnt() { if grep -qF -- "$2" "$tmp/$1"; then fail "unexpected in $1: \"$2\""; fi; }
clean() { env -i PATH="$PATH" HOME="$tmp" "$@"; }

# serve --help (and help serve) describe serve, not the command list.
for form in "serve --help" "--help serve" "help serve"; do
    # shellcheck disable=SC2086
    expect 0 clean "$bin" $form
    has out "Usage: pcf-mcp [OPTIONS] serve"
    has out "--pcf-url VALUE"
    hasnt out "keys new NAME"
done
# The global help still lists the commands.
expect 0 clean "$bin" --help
has out "keys new NAME"

# Every flag shows the variable it reads, spelt in full: no PCF_MCP_<KEY>.
expect 0 clean "$bin" serve --help
hasnt out "PCF_MCP_<KEY>"
has out "--transport VALUE"
has out "PCF_MCP_SERVER_TRANSPORT"
has out "PCF_MCP_PCF_URL"
has out "PCF_MCP_PCF_TOKEN_FILE"
# Secrets, which have no flag, are listed with their variables.
grep -qE "secret, no flag\) +PCF_MCP_PCF_TOKEN\$" "$tmp/out" || fail "pcf.token not listed"
grep -qE "secret, no flag\) +PCF_MCP_PCF_PASSWORD\$" "$tmp/out" || fail "pcf.password not listed"

# A secret on the command line is refused with the two ways to give it.
expect 2 clean "$bin" --pcf-token x serve
has err "--pcf-token"
has err "PCF_MCP_PCF_TOKEN"
has err "--pcf-token-file"
hasnt err "did you mean"
expect 2 clean "$bin" --pcf-password=x serve
has err "PCF_MCP_PCF_PASSWORD"
has err "--pcf-password-file"

# A misspelt command gets the nearest one.
expect 2 clean "$bin" serv
has err "unknown command \"serv\"; did you mean \"serve\"?"
expect 2 clean "$bin" confg check
has err "did you mean \"config\"?"
expect 2 clean "$bin" frobnicate
hasnt err "did you mean"

# config check without a file validates the environment and the flags.
expect 0 clean PCF_MCP_PCF_URL=https://pcf.example.com "$bin" config check
has out "OK"
expect 2 clean PCF_MCP_PCF_URL=ftp://pcf "$bin" config check
has err "environment PCF_MCP_PCF_URL: pcf.url: not an http(s) URL"
expect 2 clean "$bin" --tools-allow list_projectz config check
has err "--tools-allow: tools.allow: unknown tool \"list_projectz\""
# ... and what only serve used to refuse is refused by config check too.
printf 'server:\n  transport: http\n  host: 0.0.0.0\n' >"$tmp/open.yaml"
expect 2 clean "$bin" config check "$tmp/open.yaml"
has err "open.yaml:3: server.host: refusing to listen on non-loopback address 0.0.0.0"
expect 2 clean "$bin" --config "$tmp/open.yaml" serve
has err "open.yaml:3: server.host: refusing to listen on non-loopback address 0.0.0.0"

# An empty section is no unknown key.
printf 'tools:\nlog:\n  level: warn\n' >"$tmp/empty.yaml"
expect 0 clean "$bin" config check "$tmp/empty.yaml"
has out "empty.yaml: OK"
# A section that does not exist still is.
printf 'toolz:\n' >"$tmp/bad.yaml"
expect 2 clean "$bin" config check "$tmp/bad.yaml"
has err "toolz: unknown key"
echo "help, hints and config check behave as documented"
