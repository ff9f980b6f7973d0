#!/bin/sh
# Every JSON parse in lib/ goes through core/json.c (pcfmcp__json_parse and
# friends): one depth limit, UTF-8 check, U+0000 and duplicate-member rules
# for every text, the library's own included (issue 11). This check fails on
# a cJSON_Parse* call anywhere in lib/ but core/json.c, and proves its scan
# catches one (so it cannot pass by matching nothing).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
fail=0

# Prints direct cJSON parses under $1; exit 1 if any.
scan() {
    grep -rnE '\bcJSON_Parse(WithLength|WithOpts|WithLengthOpts)?[[:space:]]*\(' \
        --include='*.c' --include='*.h' "$1" | grep -v '/core/json\.c:' && return 1
    return 0
}
if ! scan "$top_srcdir/lib"; then
    echo "FAIL: cJSON parses in lib/ outside core/json.c (use pcfmcp__json_parse_text or pcfmcp__json_parse)"
    fail=1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib/x"
printf 'cJSON *f(const char *t) { return cJSON_ParseWithLength (t, 3); }\n' >"$work/lib/x/a.c"
scan "$work/lib" >/dev/null && { echo "FAIL: the scan lets a direct cJSON parse through"; fail=1; }
[ $fail = 0 ] && echo "ok: every JSON parse in lib/ goes through core/json.c"
exit $fail
