#!/bin/sh
# The Python bindings after `make install` (run by installcheck, so by
# distcheck, against its temporary prefix):
#  1. the package make install put in $pythondir loads the library from
#     $libdir with no variable set but PYTHONPATH (the prefix is not on
#     sys.path);
#  2. pip installs the bindings from a copy of the source tree into a fresh
#     venv (offline, --no-build-isolation: Debian's setuptools), and with
#     PKG_CONFIG_PATH naming the installed pcfmcp.pc the package finds the
#     library through pkg-config;
#  3. the wheel `make python-wheel` builds installs into another venv, and
#     finds the library through PCFMCP_LIBRARY when nothing else knows it;
#  and in each, a tool registered in Python answers a call.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}" "${libdir:?}" "${pythondir:?}" "${SYSTEM_PYTHON3:=/usr/bin/python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want="$libdir/libpcfmcp.so.0"
fail() { echo "FAIL: $*" >&2; exit 1; }
# Prints the library the package loaded after calling a Python tool.
probe='
import pcfmcp
e = pcfmcp.Engine("probe", "1")
@e.tool(input_schema={"type": "object", "properties": {"n": {"type": "integer"}}})
def double(ctx, args):
    "Doubles n."
    return {"n": 2 * args["n"]}
assert e.call_tool("double", {"n": 21})["structuredContent"] == {"n": 42}
print(pcfmcp.library_path)
'
clean() { env -u PCFMCP_LIBRARY -u PKG_CONFIG_PATH -u PYTHONPATH -u LD_LIBRARY_PATH "$@"; }

# 1. make install's own copy.
got=$(cd "$tmp" && clean PYTHONPATH="$pythondir" "$SYSTEM_PYTHON3" -c "$probe") ||
    fail "the installed package did not load"
[ "$got" = "$want" ] || fail "installed package loaded $got, not $want"
echo "make install: pcfmcp loads $got"

# 2. pip install from the source tree (a copy: pip builds in place).
cp -R "$top_srcdir/bindings/python" "$tmp/src"
chmod -R u+w "$tmp/src"
rm -f "$tmp/src/pcfmcp/_installed.py"
"$SYSTEM_PYTHON3" -m venv --system-site-packages "$tmp/venv-src"
"$tmp/venv-src/bin/python" -m pip install -q --no-build-isolation --no-deps --no-index "$tmp/src" ||
    fail "pip install from the source tree"
got=$(cd "$tmp" && clean PKG_CONFIG_PATH="$libdir/pkgconfig" "$tmp/venv-src/bin/python" -c "$probe") ||
    fail "pip-installed package did not load through pkg-config"
[ "$got" = "$want" ] || fail "pip-installed package loaded $got, not $want"
echo "pip install bindings/python: pcfmcp loads $got (pkg-config)"

# 3. The wheel the build makes.
(cd "$top_builddir" && make -s python-wheel) || fail "make python-wheel"
whl=$(ls "$top_builddir"/dist/pcfmcp-*.whl)
"$SYSTEM_PYTHON3" -m venv --system-site-packages "$tmp/venv-whl"
"$tmp/venv-whl/bin/python" -m pip install -q --no-deps --no-index "$whl" || fail "pip install $whl"
got=$(cd "$tmp" && clean PCFMCP_LIBRARY="$want" "$tmp/venv-whl/bin/python" -c "$probe") ||
    fail "wheel-installed package did not load through PCFMCP_LIBRARY"
[ "$got" = "$want" ] || fail "wheel-installed package loaded $got, not $want"
echo "pip install $(basename "$whl"): pcfmcp loads $got (PCFMCP_LIBRARY)"
