#!/bin/sh
# lib/tools/invisible.inc must be what scripts/gen-invisible-table.py makes
# from the Unicode Character Database (Debian's unicode-data package, which
# scripts/deps.sh installs). Without the data there is nothing to compare
# against: the check is skipped (exit 77), never passed.
set -eu
srcdir=${top_srcdir:-${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
ucd=${PCFMCP_UCD_DIR:-/usr/share/unicode}
if [ ! -r "$ucd/DerivedCoreProperties.txt" ] || [ ! -r "$ucd/UnicodeData.txt" ]; then
    echo "unicode-table-current: no Unicode data in $ucd (install unicode-data)" >&2
    exit 77
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
python3 "$srcdir/scripts/gen-invisible-table.py" "$ucd" >"$tmp"
if ! cmp -s "$tmp" "$srcdir/lib/tools/invisible.inc"; then
    echo "lib/tools/invisible.inc is not what scripts/gen-invisible-table.py makes from $ucd:" >&2
    diff -u "$srcdir/lib/tools/invisible.inc" "$tmp" >&2 || true
    echo "regenerate: python3 scripts/gen-invisible-table.py > lib/tools/invisible.inc" >&2
    exit 1
fi
