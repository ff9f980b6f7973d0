#!/bin/sh
# Installs the man3 pages Doxygen generates from the public headers
# (make docs: docs/api/man/man3): one page per header, installed as
# pcfmcp_<header>.h.3 so that generic names (stdio.h, config.h) clash with
# no other package, and one link page per function, type and constant
# (pcfmcp_engine_answer.3 -> .so man3/pcfmcp_engine.h.3). Doxygen's pages
# for anonymous enums (@0.3 ...) are left out.
# Usage: install-man3.sh FROM_DIR DEST_MAN3_DIR
set -eu
from=$1 dest=$2
[ -d "$from" ] || { echo "install-man3: $from missing (make docs)" >&2; exit 1; }
mkdir -p "$dest"
n=0
for f in "$from"/*.3; do
    name=$(basename "$f")
    case $name in
    @*) continue ;;
    pcfmcp.h.3) out=$name ;;
    *.h.3) out="pcfmcp_$name" ;;
    pcfmcp_*|PCFMCP_*) out=$name ;;
    *) continue ;;
    esac
    # Links point at the renamed header pages.
    sed -e 's|^\.so man3/\([a-z_]*\.h\.3\)$|.so man3/pcfmcp_\1|' \
        -e 's|^\.so man3/pcfmcp_pcfmcp\.h\.3$|.so man3/pcfmcp.h.3|' "$f" >"$dest/$out"
    chmod 644 "$dest/$out"
    n=$((n + 1))
done
echo "installed $n man3 pages in $dest"
