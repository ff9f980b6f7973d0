#!/bin/sh
# Line coverage of each target's parser files when its corpus is replayed
# (the "coverage" column of README.md's "Fuzzing" section):
#   fuzz/coverage.sh [TARGET...]        default: every target
# Builds build-fuzzcov/ with clang source-based coverage (no sanitizers),
# replays fuzz/corpus/TARGET through fuzz/replay-TARGET, and prints per target
# the lines of its parser files run at least once.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- $("$top/fuzz/run.sh" list)

files_of() {
    case $1 in
    engine) echo lib/mcp/dispatch.c lib/mcp/jsonrpc.c lib/mcp/session.c ;;
    schema) echo lib/mcp/schema_compile.c lib/mcp/schema_validate.c lib/mcp/schema_format.c lib/mcp/regex.c ;;
    uritemplate) echo lib/mcp/uritemplate.c ;;
    config) echo lib/core/config.c ;;
    html) echo lib/pcf/html.c ;;
    apikeys) echo lib/hardening/apikeys.c ;;
    jwt | jwks) echo lib/hardening/jwt.c ;;
    identity) echo lib/hardening/identity.c ;;
    pcfapi) echo lib/pcf/result.c lib/pcf/endpoints.c lib/pcf/http.c lib/pcf/tokens.c ;;
    pcfweb) echo lib/pcf/session.c lib/pcf/html.c lib/pcf/credentials.c lib/pcf/notes.c \
        lib/pcf/issues.c lib/pcf/pocs.c lib/pcf/reports.c ;;
    http) echo lib/transport/http.c lib/transport/http_util.c ;;
    meta) echo lib/mcp/dispatch.c ;;
    importers) echo lib/pcf/importers_scan.c ;;
    tools) echo lib/tools/model.c lib/tools/toolset.c lib/tools/t_core.c lib/tools/t_issues.c \
        lib/tools/sanitize.c ;;
    *) echo "no parser files listed for $1" >&2; exit 2 ;;
    esac
}

command -v clang >/dev/null || { echo "fuzz/coverage.sh needs clang" >&2; exit 1; }
prof=$(command -v llvm-profdata || command -v llvm-profdata-14)
cov=$(command -v llvm-cov || command -v llvm-cov-14)
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
mkdir -p "$top/build-fuzzcov"
cd "$top/build-fuzzcov"
if [ ! -f Makefile ]; then
    CC=clang CFLAGS="-O0 -g -fprofile-instr-generate -fcoverage-mapping" \
    LDFLAGS="-fprofile-instr-generate" "$top/configure" --quiet --disable-shared
fi
make --quiet lib/layers/stamp lib/gen/core/config_typed.h >/dev/null
for t in "$@"; do
    make -j"$(nproc)" --quiet "fuzz/replay-$t" >"make-$t.log" 2>&1 || { cat "make-$t.log"; exit 1; }
    rm -f "cov-$t".profraw*
    LLVM_PROFILE_FILE="$PWD/cov-$t.profraw" "./fuzz/replay-$t" "$top/fuzz/corpus/$t" >/dev/null
    "$prof" merge -sparse -o "cov-$t.profdata" "cov-$t.profraw"
    srcs=
    for f in $(files_of "$t"); do srcs="$srcs $top/$f"; done
    # shellcheck disable=SC2086
    "$cov" report "./fuzz/replay-$t" -instr-profile="cov-$t.profdata" $srcs >"cov-$t.txt"
    total=$(awk '/^TOTAL/ { print $(NF-3) }' "cov-$t.txt")
    echo "$t: $total of the lines of $(files_of "$t" | sed 's/ /, /g')"
done
