#!/bin/sh
# `make security`: static analysis and dependency audit for pcf-mcp, the C
# counterpart of the Go server's `make security` / `nancy` / `trivy` steps.
#   cppcheck     whole-program checks of lib/ and cli/
#   clang-tidy   bug-prone, security and analyzer checks per file
#   scan-build   the Clang static analyzer over a full build
#   debsecan / apt   known vulnerabilities and pending updates of the Debian
#                    packages the build and the image use
# Exit status: non-zero if any analyzer reports a finding. Tools that are
# not installed are reported and skipped.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
status=0
pkgs="libcjson1 libcurl3-gnutls libgnutls30 libmicrohttpd12 libyaml-0-2 zlib1g libnettle8 libp11-kit0"
pkg_re=$(printf '%s' "$pkgs" | tr ' ' '|')

have() { command -v "$1" >/dev/null 2>&1; }
section() { printf '\n== %s\n' "$1"; }

section "cppcheck"
if have cppcheck; then
    # cJSON's iteration macros must be visible, or cppcheck gives up on
    # files; expose just that header rather than all of /usr/include.
    cjson_inc=$(pkg-config --variable=includedir libcjson 2>/dev/null || echo /usr/include)
    shim=$(mktemp -d)
    ln -s "$cjson_inc/cjson" "$shim/cjson"
    cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
        --enable=warning,portability,performance \
        --suppress=missingIncludeSystem --suppress=unmatchedSuppression \
        -I "$srcdir" -I "$srcdir/include" -I "$builddir/include" -I "$srcdir/lib" -I "$shim" \
        -DPCFMCP_BUILDING_LIBRARY "$srcdir/lib" "$srcdir/cli" || status=1
    rm -rf "$shim"
else
    echo "cppcheck not installed: skipped"
fi

section "clang-tidy"
if have clang-tidy; then
    # Annex K (memcpy_s ...) does not exist in glibc, and the style choices
    # of the code base (reserved pcfmcp__ prefixes, assignments in
    # conditions, widening of small products) are not bugs.
    checks='-*,bugprone-*,cert-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp,-bugprone-assignment-in-if-condition,-cert-err33-c,-bugprone-multi-level-implicit-pointer-conversion,-bugprone-implicit-widening-of-multiplication-result,-bugprone-sizeof-expression,-bugprone-narrowing-conversions,-cert-err34-c,-bugprone-branch-clone'
    # shellcheck disable=SC2046 # the pkg-config flags are meant to split
    set -- -I"$srcdir" -I"$srcdir/include" -I"$builddir/include" -I"$srcdir/lib" -I"$builddir" \
        -DPCFMCP_BUILDING_LIBRARY -D_GNU_SOURCE \
        $(pkg-config --cflags libcjson libcurl gnutls libmicrohttpd yaml-0.1 2>/dev/null)
    for f in "$srcdir"/lib/*/*.c "$srcdir"/cli/*.c; do
        if ! out=$(clang-tidy --quiet -checks="$checks" --warnings-as-errors='*' "$f" -- "$@" 2>&1); then
            printf '%s\n' "$out" | grep -v "warnings generated"
            status=1
        fi
    done
else
    echo "clang-tidy not installed: skipped"
fi

section "scan-build"
if have scan-build; then
    tmp=$(mktemp -d)
    (cd "$tmp" && scan-build -o "$tmp/report" "$srcdir/configure" --quiet >/dev/null 2>&1 &&
     scan-build -o "$tmp/report" --status-bugs make -j2 >/dev/null) || {
        echo "scan-build found bugs: see the report under $tmp/report"; status=1; }
    [ $status -eq 0 ] && rm -rf "$tmp"
else
    echo "scan-build not installed: skipped"
fi

section "dependency audit (Debian packages)"
if have debsecan; then
    debsecan --suite bookworm --only-fixed --format packages | grep -E "^($pkg_re)\$" &&
        { echo "fixed vulnerabilities pending in the packages above: upgrade them"; status=1; }
else
    echo "debsecan not installed (apt-get install debsecan): skipped"
fi
if have apt; then
    apt list --upgradable 2>/dev/null | grep -E "^($pkg_re)/" &&
        echo "updates pending for runtime dependencies (rebuild the image after upgrading)"
fi
exit $status
