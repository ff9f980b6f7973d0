#!/bin/sh
# Generates the typed accessors of the configuration keys from the one key
# table, lib/core/config_keys.c:
#   scripts/gen-config-typed.sh lib/core/config_keys.c > config_typed.h
# Each row `{ "section.key", TYPE, ...` becomes an index,
# PCFMCP__CFG_section_key, and an accessor, pcfmcp__cfg_section_key(cfg),
# returning the type the row declares (const char *, long long, bool or
# double). Code inside the library reads settings only through these, so a
# misspelt or removed key, or a read of the wrong type, does not compile.
# The build runs this; nothing generated is committed.
set -eu
table=${1:?usage: gen-config-typed.sh lib/core/config_keys.c}
awk '
BEGIN {
    print "/* Generated from lib/core/config_keys.c by scripts/gen-config-typed.sh."
    print " * Do not edit: add keys to the table. */"
    print "#ifndef PCFMCP_CORE_CONFIG_TYPED_H"
    print "#define PCFMCP_CORE_CONFIG_TYPED_H"
    print ""
    print "#include \"core/config_access.h\""
    print ""
    n = 0
}
/^[ \t]*\{ "[a-z0-9_]+\.[a-z0-9_.]+", [A-Z]+,/ {
    line = $0
    sub(/^[ \t]*\{ "/, "", line)
    key = line; sub(/".*/, "", key)
    type = line; sub(/^[^"]*", /, "", type); sub(/,.*/, "", type)
    id = key; gsub(/\./, "_", id)
    if (type == "I" || type == "T") { ctype = "long long"; fn = "int" }
    else if (type == "B") { ctype = "bool"; fn = "bool" }
    else if (type == "D") { ctype = "double"; fn = "double" }
    else if (type == "S" || type == "SECRET" || type == "E" || type == "L" || type == "P") {
        ctype = "const char *"; fn = "str"
    } else {
        printf "gen-config-typed: %s: unknown type %s\n", key, type > "/dev/stderr"
        exit 1
    }
    keys[n] = key; ids[n] = id; ctypes[n] = ctype; fns[n] = fn; n++
}
END {
    if (n < 10) {
        print "gen-config-typed: found only " n " keys" > "/dev/stderr"
        exit 1
    }
    print "/* Index of each key in pcfmcp__config_keys[] (table order). */"
    print "enum {"
    for (i = 0; i < n; i++)
        printf "    PCFMCP__CFG_%s = %d,\n", ids[i], i
    printf "    PCFMCP__CFG_COUNT = %d\n", n
    print "};"
    print ""
    print "/* The key each index stands for, to check the table order at run time. */"
    print "#define PCFMCP__CFG_NAMES \\"
    for (i = 0; i < n; i++)
        printf "    \"%s\"%s\n", keys[i], i + 1 < n ? ", \\" : ""
    print ""
    for (i = 0; i < n; i++) {
        sep = ctypes[i] ~ /\*$/ ? "" : " "
        printf "static inline %s%spcfmcp__cfg_%s(const pcfmcp_config_t *c)\n", ctypes[i], sep, ids[i]
        printf "{\n    return pcfmcp__config_%s_at(c, PCFMCP__CFG_%s);\n}\n", fns[i], ids[i]
    }
    print ""
    print "#endif"
}
' "$table"
