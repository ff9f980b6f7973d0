#!/bin/sh
# After make install (distcheck's installcheck runs it): every function the
# library exports (debian/libpcfmcp0.symbols, kept in step with the version
# script) has an installed man3 page, and every link page (.so) points at a
# header page that is installed too.
# Usage: check-installed-man3.sh SYMBOLS_FILE MAN3_DIR
set -eu
symbols=$1 dir=$2
n=0 bad=0
for s in $(sed -n 's/^ \(pcfmcp_[A-Za-z0-9_]*\)@.*/\1/p' "$symbols"); do
    n=$((n + 1))
    if [ ! -f "$dir/$s.3" ]; then
        echo "no man3 page for $s in $dir" >&2
        bad=$((bad + 1))
        continue
    fi
    target=$(sed -n '1s|^\.so man3/||p' "$dir/$s.3")
    if [ -n "$target" ] && [ ! -f "$dir/$target" ]; then
        echo "$s.3 points at man3/$target, which is not installed" >&2
        bad=$((bad + 1))
    fi
done
[ "$n" -gt 0 ] || { echo "no exported functions read from $symbols" >&2; exit 1; }
[ "$bad" -eq 0 ] || exit 1
echo "man3: a page for each of the $n exported functions"
