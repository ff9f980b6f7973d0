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

# The sys tier (include/pcfmcp/sys/): with GCC's symver attribute (the
# build says so in PCFMCP_SYS_SYMVER) each of its functions is exported as
# the default PCFMCP_SYS_0 and as PCFMCP_0, where 0.1 put it; everything
# else only as PCFMCP_0. The symbols file records exactly that.
cat "$top_srcdir"/include/pcfmcp/sys/*.h | tr '\n' ' ' |
    grep -o 'PCFMCP_API[^;(]*(' | grep -o 'pcfmcp_[a-z0-9_]*[ ]*($' | tr -d ' (' | sort -u > "$work/sys"
objdump -T "$lib" | awk '$NF ~ /^pcfmcp_/ { print $(NF-1), $NF }' | sort -u > "$work/versions"
awk '$1 == "PCFMCP_SYS_0" { print $2 }' "$work/versions" | sort -u > "$work/sys_default"
awk '$1 == "(PCFMCP_0)" { print $2 }' "$work/versions" | sort -u > "$work/sys_compat"
awk '$1 == "PCFMCP_0" { print $2 }' "$work/versions" | sort -u > "$work/base"
grep -o '^ pcfmcp_[a-z0-9_]*@PCFMCP_SYS_0 ' "$top_srcdir/debian/libpcfmcp0.symbols" |
    sed 's/^ //; s/@.*//' | sort -u > "$work/recorded_sys"
# The sys functions 0.1 exported (recorded at PCFMCP_0) keep that version;
# ones added since have PCFMCP_SYS_0 only.
grep -o '^ pcfmcp_[a-z0-9_]*@PCFMCP_0 ' "$top_srcdir/debian/libpcfmcp0.symbols" |
    sed 's/^ //; s/@.*//' | sort -u | comm -12 - "$work/sys" > "$work/sys01"
if [ -n "${PCFMCP_SYS_SYMVER:-}" ]; then
    report "declared in pcfmcp/sys/ but not exported as PCFMCP_SYS_0" "$work/sys" "$work/sys_default"
    report "exported as PCFMCP_SYS_0 but not declared in pcfmcp/sys/" "$work/sys_default" "$work/sys"
    report "in pcfmcp/sys/ since 0.1 but lost its version PCFMCP_0" "$work/sys01" "$work/sys_compat"
    report "in pcfmcp/sys/ since 0.2 but also given PCFMCP_0" "$work/sys_compat" "$work/sys01"
    both=$(comm -12 "$work/sys" "$work/base")
    [ -z "$both" ] || { echo "FAIL: sys functions with a default PCFMCP_0 version:"; echo "$both"; fail=1; }
    # An old binary: a reference bound to PCFMCP_0, as 0.1's linker made it.
    cat > "$work/old.c" <<'EOF_C'
#include <pcfmcp/sys/ratelimit.h>
__asm__(".symver pcfmcp_gate_new, pcfmcp_gate_new@PCFMCP_0");
__asm__(".symver pcfmcp_gate_free, pcfmcp_gate_free@PCFMCP_0");
int main(void)
{
    pcfmcp_gate_t *g = 0;
    if (pcfmcp_gate_new(&g, 2) != PCFMCP_OK || !g)
        return 1;
    pcfmcp_gate_free(g);
    return 0;
}
EOF_C
    # Built with the library's sanitizer flags: an ASan library needs its
    # runtime loaded first, which only an instrumented program does.
    # shellcheck disable=SC2086
    if ! ${CC:-cc} ${SAN_FLAGS:-} -I"$top_srcdir/include" -I"$top_builddir/include" "$work/old.c" \
            -L"$top_builddir/.libs" -lpcfmcp -o "$work/old" 2>"$work/old.err"; then
        echo "FAIL: a program bound to PCFMCP_0 does not link:"; cat "$work/old.err"; fail=1
    elif ! objdump -T "$work/old" | grep -q '(PCFMCP_0) *pcfmcp_gate_new'; then
        echo "FAIL: the old-binary probe is not bound to PCFMCP_0"; fail=1
    elif ! LD_LIBRARY_PATH="$top_builddir/.libs" "$work/old"; then
        echo "FAIL: a binary bound to 0.1's PCFMCP_0 does not run against this library"; fail=1
    fi
fi
report "in pcfmcp/sys/ but not recorded as PCFMCP_SYS_0 in debian/libpcfmcp0.symbols" \
    "$work/sys" "$work/recorded_sys"
report "recorded as PCFMCP_SYS_0 in debian/libpcfmcp0.symbols but not in pcfmcp/sys/" \
    "$work/recorded_sys" "$work/sys"
[ $fail -eq 0 ] && echo "$n exported functions: headers, library and debian symbols agree" \
    "($(wc -l < "$work/sys") in the sys tier)"
exit $fail
