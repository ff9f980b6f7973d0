#!/usr/bin/env python3
"""The layers of lib/ point one way (lib/layers.txt):

    core <- hardening <- {mcp, pcf} <- {transport, tools} <- server

Each layer is its own convenience library, libpcfmcp-<layer>.la, and
compiles against an include root that holds only the layers it may use, so
most violations do not even compile. This check covers what the compiler
cannot see, from the built archives and the sources:

  * symbols: every symbol a layer's objects need (nm -u) and another layer
    defines must come from a layer it may use: an upward or sideways call
    fails even when it was declared by hand instead of through a header;
  * includes: every "<layer>/<file>.h" a file of lib/ includes belongs to a
    layer it may use, and every <pcfmcp/...> public header too (a public
    header belongs to the layers that define the functions it declares);
  * placement: libpcfmcp-<layer>.la holds exactly the .c files of
    lib/<layer>/, so a source added to the wrong library is caught.

Usage: check-layers.py SRCDIR ARCHIVE_DIR  (ARCHIVE_DIR holds the
libpcfmcp-<layer>.a archives, the build tree's .libs/). Exits 1 listing
every violation, 0 with a one-line summary.
"""
import glob
import os
import re
import subprocess
import sys


def read_rules(path):
    """{layer: set of layers it may use, itself included}, in file order."""
    rules = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, uses = line.partition(":")
            rules[name.strip()] = {name.strip()} | set(uses.split())
    for layer, uses in rules.items():
        unknown = uses - set(rules)
        if unknown:
            sys.exit(f"check-layers: {path}: {layer} uses unknown layers {sorted(unknown)}")
    return rules


def nm(archive, *flags):
    """[(member, kind, symbol)] of an archive."""
    out = subprocess.run(["nm", "-A", *flags, archive], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        # "archive:member:address kind symbol" or "archive:member: U symbol"
        parts = line.split()
        if len(parts) != 3:
            continue
        member = parts[0].split(":")[-2]
        rows.append((member, parts[-2], parts[-1]))
    return rows


def members(archive):
    out = subprocess.run(["ar", "t", archive], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
DECL = re.compile(r"\b(pcfmcp_[a-z0-9_]+)\s*\(")


COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def public_header_layers(srcdir, definer):
    """{"pcfmcp/x.h": set of layers defining the functions it declares,
    or that the public headers it includes declare}."""
    own, includes = {}, {}
    for path in glob.glob(os.path.join(srcdir, "include", "pcfmcp", "**", "*.h"),
                          recursive=True):
        name = os.path.relpath(path, os.path.join(srcdir, "include"))
        with open(path) as f:
            text = COMMENT.sub(" ", f.read())
        own[name] = {definer[s] for s in DECL.findall(text) if s in definer}
        includes[name] = {inc for kind, inc in INCLUDE.findall(text)
                          if kind == "<" and inc.startswith("pcfmcp/")}
    layers = {}

    def closure(name, seen):
        if name in layers:
            return layers[name]
        result = set(own.get(name, set()))
        for inc in includes.get(name, ()):
            if inc not in seen:
                result |= closure(inc, seen | {inc})
        layers[name] = result
        return result

    for name in own:
        closure(name, {name})
    return layers


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    srcdir, archdir = sys.argv[1], sys.argv[2]
    rules = read_rules(os.path.join(srcdir, "lib", "layers.txt"))
    errors = []

    # --------------------------------------------------------- placement
    defined, needed = {}, {}
    for layer in rules:
        archive = os.path.join(archdir, f"libpcfmcp-{layer}.a")
        if not os.path.exists(archive):
            errors.append(f"{archive}: missing (is lib/{layer}/ built as libpcfmcp-{layer}.la?)")
            continue
        prefix = f"libpcfmcp_{layer}_la-"
        have = members(archive)
        want = {prefix + os.path.basename(c)[:-2] + ".o"
                for c in glob.glob(os.path.join(srcdir, "lib", layer, "*.c"))}
        for m in sorted(want - have):
            errors.append(f"lib/{layer}/{m[len(prefix):-2]}.c is not built into "
                          f"libpcfmcp-{layer}.la (add it to lib/{layer}/Makemodule.am)")
        for m in sorted(have - want):
            errors.append(f"libpcfmcp-{layer}.la holds {m}, which is not a source of lib/{layer}/")
        defined[layer] = {s for _, kind, s in nm(archive, "-g", "--defined-only")
                          if kind not in "UvwVW"}
        needed[layer] = {}
        for member, kind, sym in nm(archive, "-u"):
            if kind == "U":
                needed[layer].setdefault(sym, set()).add(member)

    # ----------------------------------------------------------- symbols
    definer = {}
    for layer, syms in defined.items():
        for s in syms:
            if s in definer:
                errors.append(f"{s} is defined by both {definer[s]} and {layer}")
            definer[s] = layer
    edges = set()
    for layer, syms in needed.items():
        for sym, users in sorted(syms.items()):
            owner = definer.get(sym)
            if owner is None or owner == layer:
                continue
            edges.add((layer, owner))
            if owner not in rules[layer]:
                files = ", ".join(sorted(u.split("_la-", 1)[-1][:-2] + ".c" for u in users))
                errors.append(f"symbol: {layer} -> {owner}: lib/{layer}/{{{files}}} "
                              f"need {sym} (defined in lib/{owner}/)")

    # ---------------------------------------------------------- includes
    public = public_header_layers(srcdir, definer)
    for layer in rules:
        for path in sorted(glob.glob(os.path.join(srcdir, "lib", layer, "*.[ch]"))):
            rel = os.path.relpath(path, srcdir)
            with open(path) as f:
                text = f.read()
            for kind, inc in INCLUDE.findall(text):
                if kind == "<":
                    owners = public.get(inc, set()) - rules[layer]
                    if owners:
                        errors.append(f"include: {layer} -> {'/'.join(sorted(owners))}: {rel} "
                                      f"includes <{inc}>, whose functions "
                                      f"lib/{'/'.join(sorted(owners))}/ defines")
                    continue
                if inc == "config.h":  # autoconf's, through core/internal.h
                    continue
                top, sep, _ = inc.partition("/")
                if not sep:
                    if not os.path.exists(os.path.join(srcdir, "lib", layer, inc)):
                        errors.append(f"include: {rel} includes \"{inc}\": include internal "
                                      f"headers as \"<layer>/{inc}\"")
                    continue
                if top not in rules:
                    errors.append(f"include: {rel} includes \"{inc}\": internal headers are "
                                  f"included as \"<layer>/<file>.h\"")
                elif top not in rules[layer]:
                    errors.append(f"include: {layer} -> {top}: {rel} includes \"{inc}\"")

    if errors:
        print("FAIL: lib/ layering (lib/layers.txt) is violated:")
        for e in errors:
            print("  " + e)
        return 1
    used = ", ".join(f"{a}->{b}" for a, b in sorted(edges))
    print(f"layers hold: {len(rules)} layers, {sum(len(d) for d in defined.values())} "
          f"symbols; uses {used}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
