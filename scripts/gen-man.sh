#!/bin/sh
# Renders man/pcf-mcp.1 from man/pcf-mcp.1.in: the flag list comes from the
# key table (`pcf-mcp config reference --format man-flags`) and the tool
# list from man/tools.inc (itself rendered from the tool registry).
# Usage: gen-man.sh PCF_MCP_BINARY SRCDIR OUTFILE
set -eu
bin=$1 srcdir=$2 out=$3
flags=$(mktemp)
trap 'rm -f "$flags"' EXIT
"$bin" config reference --format man-flags > "$flags"
while IFS= read -r line; do
    case "$line" in
    @FLAGS@) cat "$flags" ;;
    @TOOLS@) grep -v '^\.\\"' "$srcdir/man/tools.inc" ;;
    *) printf '%s\n' "$line" ;;
    esac
done < "$srcdir/man/pcf-mcp.1.in" > "$out.tmp"
mv "$out.tmp" "$out"
