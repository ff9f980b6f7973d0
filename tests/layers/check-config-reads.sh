#!/bin/sh
# Typed configuration inside the library: code in lib/ reads settings only
# through the accessors generated from the key table (core/config_typed.h,
# scripts/gen-config-typed.sh), never by a key's string. This check fails
#  * on a string-keyed read (pcfmcp_config_get*) anywhere in lib/ but the
#    configuration object itself, or a "section.key" literal handed to the
#    configuration API;
#  * unless an unknown key and a read of the wrong type fail to compile,
#    and a right one compiles (so the check cannot pass by matching nothing).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
CC=${CC:-cc}
fail=0

# Prints string-keyed reads under $1 (a lib/ directory); exit 1 if any.
scan() {
    grep -rnE 'pcfmcp_config_get(_int|_bool|_double)?\(|pcfmcp_config_(source|origin)\([^;]*"[a-z0-9_]+\.[a-z0-9_.]+"' \
        --include='*.c' --include='*.h' "$1" | grep -v '/core/config\.c:' && return 1
    return 0
}
if ! scan "$top_srcdir/lib"; then
    echo "FAIL: string-keyed configuration reads in lib/ (use pcfmcp__cfg_<key>() of core/config_typed.h)"
    fail=1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib/x"
echo 'int f(const pcfmcp_config_t *c) { return pcfmcp_config_get_int(c, "server.port"); }' \
    > "$work/lib/x/sample.c"
scan "$work/lib" >/dev/null && { echo "FAIL: the scan lets a string-keyed read through"; fail=1; }

# Compiles a use of the generated accessors; $1 = expected outcome (ok|error).
probe() {
    printf '#include "core/config_typed.h"\n%s\n' "$2" > "$work/probe.c"
    if $CC -std=gnu11 -Werror -Wall -fsyntax-only -I"$top_builddir" -I"$top_srcdir/include" \
        -I"$top_builddir/include" -I"$top_srcdir/lib" -I"$top_builddir/lib/gen" \
        "$work/probe.c" 2>"$work/probe.err"; then got=ok; else got=error; fi
    if [ "$got" != "$1" ]; then
        echo "FAIL: expected $1 compiling: $2"; cat "$work/probe.err"; fail=1
    fi
}
probe ok 'long long f(const pcfmcp_config_t *c) { return pcfmcp__cfg_server_port(c); }'
probe ok 'const char *f(const pcfmcp_config_t *c) { return pcfmcp__cfg_server_host(c); }'
probe error 'long long f(const pcfmcp_config_t *c) { return pcfmcp__cfg_server_no_such_key(c); }'
probe error 'const char *f(const pcfmcp_config_t *c) { return pcfmcp__cfg_server_port(c); }'
probe error 'long long f(const pcfmcp_config_t *c) { return pcfmcp__cfg_server_host(c); }'
[ $fail -eq 0 ] && echo "typed configuration: no string-keyed reads in lib/; unknown keys and wrong types do not compile"
exit $fail
