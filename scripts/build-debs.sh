#!/bin/sh
# Builds the Debian packages of this tree on Debian 12 (as root, for apt),
# checks them with lintian, installs them and smoke-tests the installed
# result: pcf-mcp --version, the Python bindings, pkg-config and a C program
# linked against libpcfmcp. Not part of `make check`: it configures, builds
# and tests everything again and takes several minutes.
#
#   scripts/build-debs.sh [-o OUTDIR] [--no-install]
#
# The .debs, .buildinfo, .changes and lintian.txt land in OUTDIR (default:
# a new temporary directory, printed at the end).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=""
install=yes
while [ $# -gt 0 ]; do
    case $1 in
        -o) out=$2; shift 2 ;;
        --no-install) install=no; shift ;;
        *) echo "usage: $0 [-o OUTDIR] [--no-install]" >&2; exit 2 ;;
    esac
done
[ -n "$out" ] || out=$(mktemp -d /tmp/pcf-mcp-debs.XXXXXX)
mkdir -p "$out"
out=$(cd "$out" && pwd)

export DEBIAN_FRONTEND=noninteractive
# Packaging tools, then exactly the Build-Depends of debian/control.
apt-get install -y -qq --no-install-recommends dpkg-dev debhelper dh-python lintian \
    fakeroot build-essential >/dev/null
apt-get build-dep -y -qq "$top" >/dev/null

# Build from a clean copy of the tracked (and new, not ignored) files, so
# an in-tree configure or stray build products cannot leak in, and the
# results land in OUTDIR rather than next to the checkout.
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
src="$out/pcf-mcp-$version"
rm -rf "$src"
mkdir -p "$src"
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -a -t "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b)
rm -rf "$src"

changes=$(ls "$out"/pcf-mcp_"$version"_*.changes)
echo "== lintian"
status=0
lintian --info --display-info --pedantic --fail-on error,warning "$changes" >"$out/lintian.txt" 2>&1 ||
    status=$?
cat "$out/lintian.txt"
[ "$status" -eq 0 ] || { echo "lintian failed (exit $status)" >&2; exit 1; }

if [ "$install" = yes ]; then
    echo "== install"
    # --reinstall: a rebuild of the same version must replace what is installed.
    apt-get install -y -qq --reinstall --no-install-recommends "$out"/*.deb >/dev/null
    echo "== smoke tests"
    cd /
    pcf-mcp --version
    env -u PYTHONPATH -u PCFMCP_LIBRARY /usr/bin/python3 -c 'import pcfmcp; print(pcfmcp.version())'
    pkg-config --modversion pcfmcp
    tmp=$(mktemp -d)
    cat > "$tmp/v.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <pcfmcp/pcfmcp.h>
int main(void)
{
    printf("libpcfmcp %s\n", pcfmcp_version());
    return strcmp(pcfmcp_version(), PCFMCP_VERSION) != 0;
}
C
    # shellcheck disable=SC2046
    cc -o "$tmp/v" "$tmp/v.c" $(pkg-config --cflags --libs pcfmcp)
    "$tmp/v"
    # The API reference in libpcfmcp-doc's own directory, man3 pages, and the
    # installed examples building against the installed library.
    test -f /usr/share/doc/libpcfmcp-doc/html/index.html
    man -w pcfmcp_engine_answer
    cp -R /usr/share/doc/libpcfmcp-dev/examples "$tmp/examples"
    make -s -C "$tmp/examples"
    "$tmp/examples/answer-one" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
    rm -rf "$tmp"
    if command -v systemd-analyze >/dev/null 2>&1; then
        systemd-analyze verify /lib/systemd/system/pcf-mcp.service
    fi
fi
echo "packages in $out"
