#!/bin/sh
# No string comparison in lib/ takes what pcfmcp__json_str() returned: that
# is NULL when a peer's document lacks the member or gives it another type,
# and strcmp(NULL, ...) is a crash a hostile PCF could cause at will (the
# pcfweb fuzz target found one in the services tools). Members are compared
# with pcfmcp__json_str_is(), which is false for them. The scan follows a
# call's parentheses across lines, and this check proves it catches one (so
# it cannot pass by matching nothing).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
fail=0

# Prints FILE:LINE: CALL for each str*cmp whose arguments hold
# pcfmcp__json_str( under $1; exit 1 if any.
scan() {
    find "$1" -name '*.[ch]' -print | sort | xargs perl -e '
        local $/;
        my $bad = 0;
        for my $f (@ARGV) {
            open my $fh, "<", $f or die "$f: $!";
            my $s = <$fh>;
            while ($s =~ /\b(str(?:n)?(?:case)?cmp)\s*(\((?:[^()]++|(?2))*\))/g) {
                my ($call, $at) = ("$1$2", $-[0]);
                next unless $call =~ /pcfmcp__json_str\s*\(/;
                my $line = 1 + (substr($s, 0, $at) =~ tr/\n//);
                $call =~ s/\s+/ /g;
                print "$f:$line: $call\n";
                $bad = 1;
            }
        }
        exit $bad;' --
}
if ! scan "$top_srcdir/lib"; then
    echo "FAIL: a string comparison takes pcfmcp__json_str() (NULL for a missing member): use pcfmcp__json_str_is"
    fail=1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib/x"
printf 'int f(const cJSON *h, const char *id)\n{\n    return strcmp(pcfmcp__json_str(h,\n                  "id"), id) == 0;\n}\n' >"$work/lib/x/a.c"
scan "$work/lib" >/dev/null && { echo "FAIL: the scan lets a comparison of pcfmcp__json_str() through"; fail=1; }
[ $fail = 0 ] && echo "ok: no string comparison in lib/ takes pcfmcp__json_str()"
exit $fail
