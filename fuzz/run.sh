#!/bin/sh
# Fuzzes with libFuzzer (clang), ASan and UBSan.
#   fuzz/run.sh TARGET [SECONDS]   fuzz TARGET for SECONDS (default 60)
#   fuzz/run.sh TARGET runs N      fuzz TARGET for N executions (long runs: 10000000)
#   fuzz/run.sh merge TARGET       minimise what fuzzing found plus fuzz/corpus/TARGET
#                                  into fuzz/corpus/TARGET (commit the result)
#   fuzz/run.sh build [TARGET...]  build the instrumented targets only
#   fuzz/run.sh list               the targets
# Builds an instrumented copy of the library in build-fuzz/ and keeps new
# interesting inputs in build-fuzz/corpus-TARGET; each target fuzzes with the
# dictionaries fuzz/*.dict named below. Keep an input that crashed as
# fuzz/corpus/TARGET/regress-NAME: `make check` replays it and merges keep it.
# Long runs are CPU-hungry: run them under `nice -n 19`, one at a time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
targets="engine schema uritemplate config html apikeys jwt jwks identity pcfapi pcfweb tools http meta importers"

# Dictionaries (fuzz/NAME.dict) and extra sources of each target.
dicts_of() {
    case $1 in
    engine | meta) echo json mcp ;;
    schema | jwks) echo json ;;
    jwt) echo json jwt ;;
    apikeys) echo http ;;
    config | identity) echo yaml ;;
    html) echo html ;;
    uritemplate) echo uritemplate ;;
    importers) echo html json ;;
    pcfapi | pcfweb | tools) echo pcf json html ;;
    http) echo http mcp json ;;
    *) ;;
    esac
}
extra_of() {
    case $1 in
    jwt) echo tests/helpers/jwtgen.c ;;
    pcfapi | pcfweb) echo tests/helpers/scriptpeer.c fuzz/pcfdrive.c ;;
    tools) echo tests/helpers/scriptpeer.c ;;
    *) ;;
    esac
}

# Leaks are looked for after every input, except where a server thread frees
# what one input allocated while the next runs (http): there LeakSanitizer
# checks once at exit, which a long run reaches after its last execution.
leaks_of() {
    case $1 in
    http) echo 0 ;;
    *) echo 1 ;;
    esac
}

# Longest input: what the format needs, no more (longer inputs only slow a
# target down). Seeds longer than this are cut when loaded.
maxlen_of() {
    case $1 in
    uritemplate | apikeys | jwt) echo 4096 ;;
    jwks | identity | config | schema | engine | meta | http) echo 16384 ;;
    *) echo 65536 ;;
    esac
}

usage() { sed -n '2,13p' "$0" >&2; exit 2; }
known() { for t in $targets; do [ "$t" = "$1" ] && return 0; done; echo "unknown target $1 (fuzz/run.sh list)" >&2; exit 2; }

command -v clang >/dev/null || { echo "fuzz/run.sh needs clang (apt-get install clang)" >&2; exit 1; }
# UBSan reports go on by default: stop at the first, as at any other finding.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

configure_once() {
    [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
    mkdir -p "$top/build-fuzz"
    cd "$top/build-fuzz"
    if [ ! -f Makefile ]; then
        CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
        LDFLAGS="-fsanitize=address,undefined" "$top/configure" --quiet --disable-shared
    fi
    make -j"$(nproc)" --quiet lib/layers/stamp lib/gen/core/config_typed.h libpcfmcp-server.la libpcfmcp-tools.la \
        libpcfmcp-transport.la libpcfmcp-pcf.la libpcfmcp-mcp.la libpcfmcp-hardening.la \
        libpcfmcp-core.la
}

# The libraries the build links (configure decides, e.g. whether hiredis).
deps() {
    printf 'fuzz-print-libs:\n\t@echo $(DEP_LIBS)\n' | make -s -f Makefile -f - fuzz-print-libs
}

build() {
    t=$1
    srcs="$top/fuzz/fuzz_$t.c"
    for s in $(extra_of "$t"); do srcs="$srcs $top/$s"; done
    # The replay driver's main() is replaced by libFuzzer's.
    # shellcheck disable=SC2086
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
        -I"$top/include" -Iinclude -I"$top/lib" -Ilib/gen -I"$top/tests" -I"$top/fuzz" -I. \
        -DPCFMCP_BUILDING_LIBRARY $(pkg-config --cflags libcjson) $srcs \
        .libs/libpcfmcp-server.a .libs/libpcfmcp-tools.a .libs/libpcfmcp-transport.a \
        .libs/libpcfmcp-pcf.a .libs/libpcfmcp-mcp.a .libs/libpcfmcp-hardening.a \
        .libs/libpcfmcp-core.a \
        $(deps) \
        -o "fuzz-$t"
    rm -f "$t.dict"
    for d in $(dicts_of "$t"); do cat "$top/fuzz/$d.dict" >>"$t.dict"; done
    touch "$t.dict"
}

flags() {
    echo "-rss_limit_mb=2048 -timeout=25 -detect_leaks=$(leaks_of "$1") -max_len=$(maxlen_of "$1")" \
        "-print_final_stats=1"
    # libFuzzer refuses an empty dictionary file, and then fuzzes nothing.
    if [ -s "$1.dict" ]; then echo "-dict=$1.dict"; fi
}

[ $# -ge 1 ] || usage
case $1 in
list)
    echo "$targets"
    ;;
build)
    shift
    [ $# -gt 0 ] || set -- $targets
    for t in "$@"; do known "$t"; done
    configure_once
    for t in "$@"; do build "$t"; done
    ;;
merge)
    t=${2:?usage: fuzz/run.sh merge TARGET}
    known "$t"
    configure_once
    build "$t"
    mkdir -p "corpus-$t" "$top/fuzz/corpus/$t"
    rm -rf "merged-$t" && mkdir "merged-$t"
    # shellcheck disable=SC2046
    "./fuzz-$t" $(flags "$t") -merge=1 "merged-$t" "$top/fuzz/corpus/$t" "corpus-$t"
    # Inputs that once crashed stay, whatever coverage they add now.
    for f in "$top/fuzz/corpus/$t"/regress-*; do
        [ -e "$f" ] && cp "$f" "merged-$t/"
    done
    rm -rf "$top/fuzz/corpus/$t.old"
    mv "$top/fuzz/corpus/$t" "$top/fuzz/corpus/$t.old"
    mv "merged-$t" "$top/fuzz/corpus/$t"
    rm -rf "$top/fuzz/corpus/$t.old"
    echo "fuzz/corpus/$t: $(ls "$top/fuzz/corpus/$t" | wc -l) inputs"
    ;;
*)
    t=$1
    known "$t"
    configure_once
    build "$t"
    mkdir -p "corpus-$t"
    if [ "${2:-}" = runs ]; then
        limit="-runs=${3:?usage: fuzz/run.sh TARGET runs N}"
    else
        limit="-max_total_time=${2:-60}"
    fi
    # shellcheck disable=SC2046
    exec "./fuzz-$t" $(flags "$t") "$limit" "corpus-$t" "$top/fuzz/corpus/$t"
    ;;
esac
