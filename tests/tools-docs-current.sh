#!/bin/sh
# Fails when the committed docs/tools.md or man/tools.inc differ from what
# the tool registry renders now (run `make tools-docs` to refresh them).
set -eu
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$srcdir/scripts/gen-tools-docs.sh" "$builddir/pcf-mcp" "$srcdir" "$tmp"
status=0
for f in docs/tools.md man/tools.inc; do
    if ! cmp -s "$tmp/$f" "$srcdir/$f"; then
        echo "$f is stale: run make tools-docs and commit it" >&2
        diff -u "$srcdir/$f" "$tmp/$f" | head -40 >&2 || true
        status=1
    fi
done
[ $status -eq 0 ] && echo "1 passed, 0 failed"
exit $status
