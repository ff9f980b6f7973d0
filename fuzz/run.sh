#!/bin/sh
# Fuzzes one target with libFuzzer (clang), ASan and UBSan:
#   fuzz/run.sh TARGET [SECONDS]     TARGET: engine schema uritemplate config html
# Builds an instrumented copy of the library in build-fuzz/, runs from the
# seed corpus, and keeps new interesting inputs in build-fuzz/corpus-TARGET.
# Add an input that crashed to fuzz/corpus/TARGET/ so `make check` replays it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
secs=${2:-60}
command -v clang >/dev/null || { echo "fuzz/run.sh needs clang (apt-get install clang)" >&2; exit 1; }
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
mkdir -p "$top/build-fuzz"
cd "$top/build-fuzz"
if [ ! -f Makefile ]; then
    CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
    LDFLAGS="-fsanitize=address,undefined" "$top/configure" --quiet --disable-shared
fi
make -j"$(nproc)" --quiet lib/layers/stamp lib/gen/core/config_typed.h libpcfmcp-server.la libpcfmcp-tools.la libpcfmcp-transport.la \
    libpcfmcp-pcf.la libpcfmcp-mcp.la libpcfmcp-hardening.la libpcfmcp-core.la
# The replay driver's main() is replaced by libFuzzer's.
clang -g -O1 -fsanitize=fuzzer,address,undefined -I"$top/include" -Iinclude -I"$top/lib" -Ilib/gen -I. \
    -DPCFMCP_BUILDING_LIBRARY $(pkg-config --cflags libcjson) \
    "$top/fuzz/fuzz_$target.c" .libs/libpcfmcp-server.a .libs/libpcfmcp-tools.a \
    .libs/libpcfmcp-transport.a .libs/libpcfmcp-pcf.a .libs/libpcfmcp-mcp.a \
    .libs/libpcfmcp-hardening.a .libs/libpcfmcp-core.a \
    $(pkg-config --libs libcjson libcurl gnutls libmicrohttpd yaml-0.1 zlib libpcre2-8) -lm -pthread \
    -o "fuzz-$target"
mkdir -p "corpus-$target"
exec "./fuzz-$target" -max_total_time="$secs" -max_len=65536 "corpus-$target" "$top/fuzz/corpus/$target"
