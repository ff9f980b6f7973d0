#!/bin/sh
# The exported ABI is exactly what the headers declare and what the Debian
# symbols file records: a function added to the API without the symbols
# file (or the other way round) would make dpkg-gensymbols complain only
# when a distribution builds the package, long after the change.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
lib="$top_builddir/.libs/libpcfmcp.so"
[ -f "$lib" ] || { echo "FAIL: $lib not built (shared library disabled?)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u > "$work/exported"
grep -o '^ pcfmcp_[a-z0-9_]*@' "$top_srcdir/debian/libpcfmcp0.symbols" | tr -d ' @' | sort -u > "$work/recorded"
# Declarations: "PCFMCP_API <type> [*]name(" across the public headers,
# version.h being generated into the build tree.
cat "$top_srcdir"/include/pcfmcp/*.h "$top_srcdir"/include/pcfmcp/sys/*.h \
    "$top_builddir"/include/pcfmcp/version.h | tr '\n' ' ' |
    grep -o 'PCFMCP_API[^;(]*(' | grep -o 'pcfmcp_[a-z0-9_]*[ ]*($' | tr -d ' (' | sort -u > "$work/declared"
fail=0
report() { # what file_a file_b
    extra=$(comm -23 "$2" "$3")
    [ -z "$extra" ] || { echo "FAIL: $1:"; echo "$extra" | sed 's/^/  /'; fail=1; }
}
report "exported but not in debian/libpcfmcp0.symbols" "$work/exported" "$work/recorded"
report "in debian/libpcfmcp0.symbols but not exported" "$work/recorded" "$work/exported"
report "exported but not declared PCFMCP_API in include/pcfmcp" "$work/exported" "$work/declared"
report "declared PCFMCP_API but not exported" "$work/declared" "$work/exported"
n=$(wc -l < "$work/exported")
[ "$n" -ge 100 ] || { echo "FAIL: only $n exported functions found in $lib"; exit 1; }
[ $fail -eq 0 ] && echo "$n exported functions: headers, library and debian symbols agree"
exit $fail
