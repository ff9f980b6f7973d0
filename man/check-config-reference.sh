#!/bin/sh
# The committed configuration reference must be exactly what the program
# prints from its key table; otherwise run `make update-config-reference`.
set -u
srcdir=${top_srcdir:-$(dirname "$0")/..}
bin=${top_builddir:-.}/pcf-mcp
status=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for pair in "man:man/pcf-mcp.conf.5" "markdown:docs/configuration.md"; do
    fmt=${pair%%:*}
    file=${pair#*:}
    if ! "$bin" config reference --format "$fmt" > "$tmp"; then
        echo "pcf-mcp config reference --format $fmt failed" >&2
        status=1
        continue
    fi
    if ! diff -u "$srcdir/$file" "$tmp"; then
        echo "$file is out of date: run 'make update-config-reference'" >&2
        status=1
    fi
done
# The man page must also be well-formed roff.
if command -v groff >/dev/null 2>&1; then
    warnings=$(groff -man -ww -z "$srcdir/man/pcf-mcp.conf.5" 2>&1)
    if [ -n "$warnings" ]; then
        echo "groff warnings in man/pcf-mcp.conf.5:" >&2
        echo "$warnings" >&2
        status=1
    fi
fi
exit $status
