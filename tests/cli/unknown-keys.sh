#!/bin/sh
# An unknown key in the file, an unknown PCF_MCP_* variable and an unknown
# flag are refused with exit status 2 and a message that says what was
# expected: the nearest valid name, else the names the section has, else
# the sections.
set -eu
: "${top_builddir:?}"
bin="$top_builddir/pcf-mcp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $1"; cat "$tmp/err"; exit 1; }
# Runs the command, which must exit with status 2, stderr to $tmp/err.
refused() {
    rc=0
    "$@" >/dev/null 2>"$tmp/err" || rc=$?
    [ "$rc" = 2 ] || fail "expected exit status 2, got $rc from: $*"
}
has() { grep -qF -- "$1" "$tmp/err" || fail "missing \"$1\""; }
hasnt() { if grep -qF -- "$1" "$tmp/err"; then fail "unexpected \"$1\""; fi; }
# A clean environment: the tests must not see the caller's PCF_MCP_*.
clean() { env -i PATH="$PATH" HOME="$tmp" "$@"; }

# File: a typo, a key the section lacks, a section that does not exist.
cat >"$tmp/u.yaml" <<'YAML'
log:
  level: info
  colour: true
pcf:
  tokn: x
nosuch:
  key: 1
YAML
refused clean "$bin" config check "$tmp/u.yaml"
has "u.yaml:3: log.colour: unknown key; log keys are: level, format"
has "u.yaml:5: pcf.tokn: unknown key; did you mean pcf.token?"
has "u.yaml:7: nosuch.key: unknown key; keys are <section>.<key> with section one of server, pcf,"

# Environment: the same three cases, spelt as variables.
refused clean PCF_MCP_LOG_LEVL=debug PCF_MCP_LOG_COLOUR=1 PCF_MCP_NOSUCH_KEY=1 "$bin" config dump
has "environment PCF_MCP_LOG_LEVL: unknown variable (no such configuration key); did you mean PCF_MCP_LOG_LEVEL?"
has "environment PCF_MCP_LOG_COLOUR: unknown variable (no such configuration key); PCF_MCP_LOG variables are: PCF_MCP_LOG_LEVEL, PCF_MCP_LOG_FORMAT"
has "environment PCF_MCP_NOSUCH_KEY: unknown variable (no such configuration key); variables are PCF_MCP_<SECTION>_<KEY> with SECTION one of SERVER, PCF,"
# A section whose name has an underscore is still recognised as a section.
refused clean PCF_MCP_RATE_LIMIT_NOPE=1 "$bin" config dump
has "PCF_MCP_RATE_LIMIT variables are: PCF_MCP_RATE_LIMIT_"

# Flags: the nearest flag (also the CLI's own), nothing for a wild guess.
refused clean "$bin" --log-levl debug config dump
has "unknown option --log-levl; did you mean --log-level? (try --help)"
refused clean "$bin" --verison
has "did you mean --version?"
refused clean "$bin" --bogus
has "unknown option --bogus (try --help)"
hasnt "did you mean"
echo "unknown keys, variables and flags name what was expected"
