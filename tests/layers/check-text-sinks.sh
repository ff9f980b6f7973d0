#!/bin/sh
# Issue 10 §2 by construction: in lib/tools, text reaches the model only
# through the rendering API of tools/text.c (pcfmcp__mt_*, TOOL_SAY/TOOL_ERR),
# which cleans, quotes, escapes or fences every PCF string. tools/toolset.h
# poisons the engine's raw text sinks for every file but text.c. This check
# fails
#  * if a file in lib/tools other than text.c opts out of the poison
#    (PCFMCP_TOOLS_TEXT_SINKS) or names a raw sink at all;
#  * unless a raw sink fails to compile after including tools/toolset.h,
#    and compiles with the opt-out (so the probe cannot pass by failing
#    for another reason).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
CC=${CC:-cc}
fail=0
sinks='pcfmcp_result_(set_error|add_text|add_contents_text|add_message_text|add_message|add_completion|set_description|set_completion_total|add_content_json|set_structured|add_embedded_text)|pcfmcp__tools_(sumf|errf)'

# Prints files under $1 (a lib/tools-like directory) that opt out of the
# poison or name a raw sink, apart from text.c and the header that poisons;
# exit 1 if any.
scan() {
    found=$(grep -rlE "PCFMCP_TOOLS_TEXT_SINKS|\\b($sinks)\\b" --include='*.c' --include='*.h' "$1" |
        grep -vE '/(text\.c|toolset\.h)$')
    [ -z "$found" ] && return 0
    echo "$found"
    return 1
}
if ! scan "$top_srcdir/lib/tools"; then
    echo "FAIL: raw text sinks outside lib/tools/text.c (render with pcfmcp__mt_* / TOOL_SAY / TOOL_ERR)"
    fail=1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tools"
printf '#define PCFMCP_TOOLS_TEXT_SINKS 1\n' > "$work/tools/t_sneaky.c"
scan "$work/tools" >/dev/null && { echo "FAIL: the scan lets an opt-out through"; fail=1; }
printf 'void f(void *r) { pcfmcp_result_add_text(r, "x"); }\n' > "$work/tools/t_sneaky.c"
scan "$work/tools" >/dev/null && { echo "FAIL: the scan lets a raw sink through"; fail=1; }

# Compiles a raw sink after tools/toolset.h; $1 = expected outcome
# (ok|error), $2 = lines before the includes.
probe() {
    printf '%s\n#include "core/internal.h"\n#include "tools/toolset.h"\n%s\n' "$2" \
        'pcfmcp_error_t f(pcfmcp_result_t *r) { return pcfmcp_result_add_text(r, "PCF text", 8); }' \
        > "$work/probe.c"
    if $CC -std=gnu11 -Werror -Wall -fsyntax-only -I"$top_builddir" -I"$top_srcdir/include" \
        -I"$top_builddir/include" -I"$top_srcdir/lib" -I"$top_builddir/lib/gen" \
        "$work/probe.c" 2>"$work/probe.err"; then got=ok; else got=error; fi
    if [ "$got" != "$1" ]; then
        echo "FAIL: expected $1 compiling a raw sink (${2:-poisoned})"; cat "$work/probe.err"; fail=1
    elif [ "$1" = error ] && ! grep -q 'poisoned' "$work/probe.err"; then
        echo "FAIL: the raw sink failed to compile, but not because it is poisoned"
        cat "$work/probe.err"; fail=1
    fi
}
probe error ''
probe ok '#define PCFMCP_TOOLS_TEXT_SINKS 1'
[ $fail -eq 0 ] && echo "text sinks: only lib/tools/text.c reaches the engine's raw text sinks; a raw sink elsewhere does not compile"
exit $fail
