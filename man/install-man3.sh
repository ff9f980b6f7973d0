#!/bin/sh
# Installs the man3 pages Doxygen generates from the public headers
# (make docs: docs/api/man/man3): one page per header, named after its
# include path so that generic names (stdio.h, config.h) clash with no
# other package (<pcfmcp/engine.h> -> pcfmcp_engine.h.3, <pcfmcp/sys/audit.h>
# -> pcfmcp_sys_audit.h.3, the umbrella <pcfmcp/pcfmcp.h> -> pcfmcp.h.3),
# and one link page per function, type and constant
# (pcfmcp_engine_answer.3 -> .so man3/pcfmcp_engine.h.3). Doxygen's pages
# for anonymous enums (@0.3 ...) are left out.
# Usage: install-man3.sh FROM_DIR DEST_MAN3_DIR
set -eu
from=$1 dest=$2
[ -d "$from" ] || { echo "install-man3: $from missing (make docs)" >&2; exit 1; }
mkdir -p "$dest"
map=$(mktemp)
trap 'rm -f "$map"' EXIT
# Header pages: the include path in the .TH line names the installed page.
for f in "$from"/*.h.3; do
    title=$(sed -n '1s/^\.TH "\([^"]*\)".*/\1/p' "$f")
    case $title in
    pcfmcp/pcfmcp.h) new=pcfmcp.h.3 ;;
    pcfmcp/*.h) new=$(printf '%s' "$title" | tr '/' '_').3 ;;
    *) echo "install-man3: unexpected header page $f ($title)" >&2; exit 1 ;;
    esac
    printf '%s %s\n' "$(basename "$f")" "$new" >>"$map"
done
n=0
for f in "$from"/*.3; do
    name=$(basename "$f")
    case $name in
    @*) continue ;;
    *.h.3) out=$(awk -v n="$name" '$1 == n { print $2 }' "$map") ;;
    pcfmcp_*|PCFMCP_*) out=$name ;;
    *) continue ;;
    esac
    # A link page: point it at the header page's installed name.
    target=$(sed -n '1s|^\.so man3/||p' "$f")
    if [ -n "$target" ]; then
        renamed=$(awk -v n="$target" '$1 == n { print $2 }' "$map")
        printf '.so man3/%s\n' "${renamed:-$target}" >"$dest/$out"
    else
        cp "$f" "$dest/$out"
    fi
    chmod 644 "$dest/$out"
    n=$((n + 1))
done
echo "installed $n man3 pages in $dest"
