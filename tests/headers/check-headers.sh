#!/bin/sh
# Each public header must compile on its own, as strict C99 and as C++11:
# hosts include exactly what they use, and the ctypes bindings parse them.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
CC=${CC:-cc}
CXX=${CXX:-c++}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
count=0
for h in "$top_srcdir"/include/pcfmcp/*.h "$top_srcdir"/include/pcfmcp/sys/*.h \
         "$top_builddir"/include/pcfmcp/version.h; do
    name=${h##*/include/pcfmcp/}
    case "$name" in *.in) continue ;; esac
    printf '#include <pcfmcp/%s>\n#include <pcfmcp/%s>\nint main(void) { return 0; }\n' "$name" "$name" > "$work/t.c"
    cp "$work/t.c" "$work/t.cpp"
    if ! $CC -std=c99 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/include" -I"$top_builddir/include" \
        -fsyntax-only "$work/t.c"; then
        echo "FAIL: $name does not compile alone as C99"; fail=1
    fi
    if ! $CXX -std=c++11 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/include" -I"$top_builddir/include" \
        -fsyntax-only "$work/t.cpp"; then
        echo "FAIL: $name does not compile alone as C++11"; fail=1
    fi
    count=$((count + 1))
done
[ "$count" -ge 8 ] || { echo "FAIL: found only $count public headers"; exit 1; }
echo "checked $count public headers as C99 and C++11"
exit $fail
