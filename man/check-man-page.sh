#!/bin/sh
# Fails when the committed man/pcf-mcp.1 differs from what the key table and
# the tool registry render now (run `make update-config-reference`).
set -eu
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sh "$srcdir/scripts/gen-man.sh" "$builddir/pcf-mcp" "$srcdir" "$tmp"
if ! cmp -s "$tmp" "$srcdir/man/pcf-mcp.1"; then
    echo "man/pcf-mcp.1 is stale: run make update-config-reference and commit it" >&2
    diff -u "$srcdir/man/pcf-mcp.1" "$tmp" | head -40 >&2 || true
    exit 1
fi
# Every flag --help shows is documented in the man page.
for f in $("$builddir/pcf-mcp" serve --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p'); do
    grep -q -- "$(printf '%s' "$f" | sed 's/-/\\\\-/g')" "$srcdir/man/pcf-mcp.1" ||
        { echo "$f is in --help but not in man/pcf-mcp.1" >&2; exit 1; }
done
echo "man/pcf-mcp.1 is current"
