#!/bin/sh
# Sourced by the end-to-end runners: makes $E2E (in the build tree, which is
# writable even under `make distcheck`) hold the test scripts and the pinned
# npm packages, then returns. The packages come from, in order: an existing
# install next to the scripts, $PCFMCP_E2E_MODULES (an absolute
# node_modules directory), or `npm ci` against the committed lock file.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
E2E="$builddir/tests/e2e"
command -v node >/dev/null 2>&1 || { echo "e2e: node is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
mkdir -p "$E2E"
if [ "$E2E" != "$srcdir/tests/e2e" ]; then
    # Everything the suites run from, except installed packages and results
    # of earlier in-tree runs.
    for f in "$srcdir"/tests/e2e/*; do
        case "$(basename "$f")" in node_modules | *.log | *.trs) continue ;; esac
        cp -Rf "$f" "$E2E/"
    done
    if [ ! -e "$E2E/node_modules" ] && [ -d "$srcdir/tests/e2e/node_modules" ]; then
        ln -s "$srcdir/tests/e2e/node_modules" "$E2E/node_modules"
    fi
fi
if [ ! -d "$E2E/node_modules/@modelcontextprotocol/sdk" ]; then
    if [ -n "${PCFMCP_E2E_MODULES:-}" ] && [ -d "$PCFMCP_E2E_MODULES/@modelcontextprotocol/sdk" ]; then
        rm -rf "$E2E/node_modules"
        ln -s "$PCFMCP_E2E_MODULES" "$E2E/node_modules"
    else
        command -v npm >/dev/null 2>&1 || { echo "e2e: npm is not installed" >&2; exit 1; }
        # Parallel make runs several suites at once: one installs, the
        # others wait for it instead of installing over it.
        (
            flock 9
            [ -d "$E2E/node_modules/@modelcontextprotocol/sdk" ] ||
                (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
        ) 9>"$E2E/.npm-install.lock" ||
            { echo "e2e: npm ci failed in $E2E" >&2; exit 1; }
    fi
fi
export top_srcdir="$srcdir" top_builddir="$builddir"
