#!/bin/sh
# make check entry for the official conformance suites and the SDK client
# over Streamable HTTP (tests/e2e/run-conformance.sh says what runs).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prepare.sh"
command -v python3 >/dev/null 2>&1 || { echo "e2e: python3 is not installed" >&2; exit 1; }
command -v certtool >/dev/null 2>&1 || { echo "e2e: certtool is not installed (gnutls-bin)" >&2; exit 1; }
exec sh "$E2E/run-conformance.sh" "$top_builddir"
