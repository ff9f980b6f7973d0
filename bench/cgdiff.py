#!/usr/bin/env python3
"""Per-request cost of each function from two callgrind runs that differ
only in the number of requests (N and 2N): (cost in the 2N run - cost in
the N run) / N, so start-up and the first call cancel out.
Usage: cgdiff.py RUN_N.callgrind RUN_2N.callgrind N [--inclusive|--objects] [TOP]
--objects sums the self costs per shared object (libpcfmcp, libcurl, libc...)."""
import re, subprocess, sys

def costs(path, inclusive, objects=False):
    out = subprocess.run(["callgrind_annotate", "--inclusive=" + ("yes" if inclusive else "no"),
                          "--threshold=100", "--auto=no", path],
                         capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line or "=>" in line or "events annotated" in line:
            continue
        if not re.search(r"\S:\S", m.group(2)):
            continue  # annotated source lines, not functions
        if objects:
            o = re.search(r"\[([^\]]*)\]$", m.group(2))
            name = (o.group(1).rsplit("/", 1)[-1] if o else "?")
            d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
            continue
        name = re.sub(r" \[.*\]$", "", m.group(2)).strip()
        if ":" in name:  # file:function
            name = name.split(":", 1)[1]
        name = re.sub(r"'\d+$", "", name)  # recursion levels count as one function
        d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
    return d

args = [a for a in sys.argv[1:] if not a.startswith("--")]
inclusive = "--inclusive" in sys.argv
objects = "--objects" in sys.argv
a, b, n = args[0], args[1], int(args[2])
top = int(args[3]) if len(args) > 3 else 25
A, B = costs(a, inclusive, objects), costs(b, inclusive, objects)
rows = sorted((((B.get(k, 0) - A.get(k, 0)) / n), k) for k in set(A) | set(B))
for v, k in reversed(rows[-top:]):
    print(f"{v:10.0f}  {k}")
