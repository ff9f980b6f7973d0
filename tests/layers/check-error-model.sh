#!/bin/sh
# One error model (lib/core/error.h): failures record their detail with
# pcfmcp__fail() / pcfmcp__fail_in(), nothing else. A handle-local message
# buffer or a private "setf" would bring back what issue 11 removed: ten
# copies of one setter, and a shared buffer that threads overwrite while
# others read it. Run on the tree, then on a sample of each way back in,
# which must be refused (so this check cannot pass by matching nothing).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"

# Prints the violations under $1 (a lib/ directory); exit 1 if any.
scan() {
    grep -rnE 'char +errmsg *\[|->errmsg\b|\b[a-z_]*setf *\(|\bset_err(or)? *\(' \
        --include='*.c' --include='*.h' "$1" | grep -v '/core/errors\.c:' && return 1
    return 0
}

if ! scan "$top_srcdir/lib"; then
    echo "FAIL: error detail outside lib/core/error.h (use pcfmcp__fail/pcfmcp__fail_in)"
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib/x"
n=0
for bad in 'struct h { char errmsg[256]; };' \
           'static void setf(h *x, const char *fmt, ...);' \
           'static void ctx_setf(h *x, const char *fmt, ...);' \
           'static void set_error(h *x, const char *fmt, ...);' \
           'void f(h *x) { x->errmsg[0] = 0; }'; do
    printf '%s\n' "$bad" > "$work/lib/x/sample.c"
    if scan "$work/lib" >/dev/null; then
        echo "FAIL: the check lets through: $bad"
        exit 1
    fi
    n=$((n + 1))
done
echo "one error model: no handle-local message buffers or setters in lib/ ($n ways back refused)"
