#!/usr/bin/env python3
"""Lists the file-level dependency cycles inside each layer of lib/.

    scripts/file-cycles.py [BUILDDIR]      (default: build)

Reads the layer archives (BUILDDIR/.libs/libpcfmcp-<layer>.a): a file
depends on another when one of its objects needs a symbol the other
defines. Prints each strongly connected component of more than one file
with the symbols behind every edge. Not a test: some cycles are by design
(see DEVELOPERS.md, "Layers"); this shows what a change did to them.
"""
import collections
import glob
import os
import subprocess
import sys


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    defs, needs = {}, collections.defaultdict(set)
    for archive in sorted(glob.glob(os.path.join(build, ".libs", "libpcfmcp-*.a"))):
        layer = os.path.basename(archive)[len("libpcfmcp-"):-2]
        out = subprocess.run(["nm", "-A", archive], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            # "archive:member:address kind symbol" or "archive:member: U symbol"
            parts = line.split()
            if len(parts) < 2:
                continue
            member = parts[0].split(":")[-2]
            name = layer + "/" + member.split("_la-", 1)[-1][:-2]
            needs[name]
            if len(parts) == 3 and parts[1] in "TDBRC":
                defs[parts[2]] = name
            elif len(parts) == 3 and parts[1] == "U":
                needs[name].add(parts[2])
    graph = collections.defaultdict(set)
    why = collections.defaultdict(set)
    for f, syms in needs.items():
        for s in syms:
            if s in defs and defs[s] != f:
                graph[f].add(defs[s])
                why[(f, defs[s])].add(s)

    # Tarjan's strongly connected components, iteratively.
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    for root in sorted(needs):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    if not comps:
        print("no file-level cycles")
    for comp in comps:
        print(f"cycle of {len(comp)} files: {' '.join(comp)}")
        for a in comp:
            for b in comp:
                if b in graph[a]:
                    syms = sorted(why[(a, b)])
                    more = f" (+{len(syms) - 4})" if len(syms) > 4 else ""
                    print(f"    {a} -> {b}: {' '.join(syms[:4])}{more}")


if __name__ == "__main__":
    main()
