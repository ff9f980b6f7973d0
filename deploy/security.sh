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
#
# The audit needs the Debian security tracker's data, fetched over the
# network. Without it the step prints "not audited: <reason>" and does not
# fail the target (an offline build is not a vulnerable one); set
# SECURITY_AUDIT=required to make an unavailable audit fail too (CI with
# network access). The summary at the end names every step's verdict.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
status=0
summary=""
audit_required=${SECURITY_AUDIT:-optional}
pkgs="libcjson1 libcurl3-gnutls libgnutls30 libmicrohttpd12 libyaml-0-2 zlib1g libnettle8 libp11-kit0"
pkg_re=$(printf '%s' "$pkgs" | tr ' ' '|')

have() { command -v "$1" >/dev/null 2>&1; }
section() { printf '\n== %s\n' "$1"; }
verdict() { summary="$summary$(printf '  %-12s %s' "$1" "$2")
"; }

section "cppcheck"
if have cppcheck; then
    # cJSON's iteration macros must be visible, or cppcheck gives up on
    # files; expose just that header rather than all of /usr/include.
    cjson_inc=$(pkg-config --variable=includedir libcjson 2>/dev/null || echo /usr/include)
    shim=$(mktemp -d)
    ln -s "$cjson_inc/cjson" "$shim/cjson"
    if cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
        --enable=warning,portability,performance \
        --suppress=missingIncludeSystem --suppress=unmatchedSuppression \
        -I "$srcdir" -I "$srcdir/include" -I "$builddir/include" -I "$srcdir/lib" -I "$shim" \
        -DPCFMCP_BUILDING_LIBRARY "$srcdir/lib" "$srcdir/cli"; then
        verdict cppcheck "no findings"
    else
        verdict cppcheck "FINDINGS"; status=1
    fi
    rm -rf "$shim"
else
    echo "cppcheck not installed: skipped"; verdict cppcheck "skipped (not installed)"
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
    bad=0 nfiles=0
    for f in "$srcdir"/lib/*/*.c "$srcdir"/cli/*.c; do
        nfiles=$((nfiles + 1))
        if ! out=$(clang-tidy --quiet -checks="$checks" --warnings-as-errors='*' "$f" -- "$@" 2>&1); then
            printf '%s\n' "$out" | grep -Ev "warnings? generated"
            bad=$((bad + 1))
        fi
    done
    if [ "$bad" -eq 0 ]; then
        verdict clang-tidy "no findings in $nfiles files"
    else
        verdict clang-tidy "FINDINGS in $bad of $nfiles files"; status=1
    fi
else
    echo "clang-tidy not installed: skipped"; verdict clang-tidy "skipped (not installed)"
fi

section "scan-build"
if have scan-build; then
    tmp=$(mktemp -d)
    # A source tree configured in place refuses a second, out-of-tree
    # configure, and its objects would leave scan-build nothing to compile:
    # analyse a copy of it from clean instead.
    if [ -f "$srcdir/config.status" ]; then
        cp -a "$srcdir/." "$tmp/src"
        bdir="$tmp/src" conf=./configure
    else
        mkdir "$tmp/build"
        bdir="$tmp/build" conf="$srcdir/configure"
    fi
    if ! (cd "$bdir" && scan-build -o "$tmp/report" "$conf" --quiet >"$tmp/configure.log" 2>&1); then
        echo "scan-build: configure failed: see $tmp/configure.log"
        verdict scan-build "FAILED (configure: $tmp/configure.log)"; status=1
    else
        [ "$bdir" = "$tmp/src" ] && (cd "$bdir" && make clean >/dev/null 2>&1)
        if (cd "$bdir" && scan-build -o "$tmp/report" --status-bugs make -j2 >"$tmp/make.log" 2>&1); then
            grep '^scan-build: ' "$tmp/make.log" | grep -v "Using '"
            verdict scan-build "no bugs"
            rm -rf "$tmp"
        else
            grep -E 'warning: |^scan-build: ' "$tmp/make.log" | grep -v "Using '" | sort -u
            echo "scan-build: the build or the analysis failed: see $tmp/make.log and $tmp/report"
            verdict scan-build "FINDINGS ($tmp/report)"; status=1
        fi
    fi
else
    echo "scan-build not installed: skipped"; verdict scan-build "skipped (not installed)"
fi

section "dependency audit (Debian packages)"
if have debsecan; then
    out=$(mktemp) err=$(mktemp)
    if debsecan --suite bookworm --only-fixed --format packages >"$out" 2>"$err"; then
        if grep -E "^($pkg_re)\$" "$out"; then
            echo "fixed vulnerabilities pending in the packages above: upgrade them"
            verdict audit "FINDINGS (upgrade the packages listed)"; status=1
        else
            echo "no known fixed vulnerability pending in: $pkgs"
            verdict audit "no findings"
        fi
    else
        # debsecan fetches the security tracker's data on every run; offline
        # it exits non-zero with "error: while downloading <url>: <reason>".
        url=$(sed -n 's/^error: while downloading \(.*\):$/\1/p' "$err" | head -n 1)
        why=$(grep -v '^error: while downloading' "$err" | sed -n 's/^error: //p' | head -n 1)
        [ -n "$why" ] || why=$(head -n 1 "$err")
        echo "not audited: debsecan could not fetch the vulnerability data${url:+ from $url}: ${why:-exit status non-zero}"
        if [ "$audit_required" = required ]; then
            verdict audit "NOT AUDITED: no vulnerability data (${why:-debsecan failed}); SECURITY_AUDIT=required"; status=1
        else
            verdict audit "NOT AUDITED: no vulnerability data (${why:-debsecan failed}); not a failure unless SECURITY_AUDIT=required"
        fi
    fi
    rm -f "$out" "$err"
else
    echo "not audited: debsecan is not installed (apt-get install --no-install-recommends debsecan)"
    if [ "$audit_required" = required ]; then
        verdict audit "NOT AUDITED: debsecan not installed (SECURITY_AUDIT=required)"; status=1
    else
        verdict audit "NOT AUDITED: debsecan not installed"
    fi
fi
if have apt; then
    # From the local package lists (as fresh as the last apt-get update).
    if apt list --upgradable 2>/dev/null | grep -E "^($pkg_re)/"; then
        echo "updates pending for runtime dependencies (rebuild the image after upgrading)"
        verdict apt "updates pending for runtime dependencies (informational)"
    else
        verdict apt "no pending updates for runtime dependencies in the local lists"
    fi
fi

section "summary"
printf '%s' "$summary"
[ $status -eq 0 ] && echo "make security: passed" || echo "make security: FAILED"
exit $status
