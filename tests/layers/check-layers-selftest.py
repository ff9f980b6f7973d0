#!/usr/bin/env python3
"""check-layers.py must fail on each kind of violation it claims to catch,
and pass on a tree that keeps the rules. Builds small fake trees (a
lib/layers.txt, a few lib/<layer>/*.c, their libpcfmcp-<layer>.a archives)
in a temporary directory with $CC and runs the checker on each."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check-layers.py")
CC = os.environ.get("CC", "cc").split()

RULES = "core:\nmcp: core\npcf: core\ntools: core mcp pcf\n"

CLEAN = {
    "include/pcfmcp/pcf.h": "int pcfmcp_pcf_get(void);\n",
    "lib/core/alloc.h": "int pcfmcp__alloc(void);\n",
    "lib/core/alloc.c": '#include "core/alloc.h"\nint pcfmcp__alloc(void) { return 1; }\n',
    "lib/mcp/engine.c": '#include "core/alloc.h"\nint pcfmcp__engine(void);\n'
                        "int pcfmcp__engine(void) { return pcfmcp__alloc(); }\n",
    "lib/pcf/client.h": "int pcfmcp__pcf_call(void);\n",
    "lib/pcf/client.c": '#include <pcfmcp/pcf.h>\n#include "pcf/client.h"\n'
                        "int pcfmcp__pcf_call(void) { return 2; }\n"
                        "int pcfmcp_pcf_get(void) { return 3; }\n",
    "lib/tools/toolset.c": '#include <pcfmcp/pcf.h>\n#include "pcf/client.h"\n'
                           "int pcfmcp__engine(void);\nint pcfmcp__tools(void);\n"
                           "int pcfmcp__tools(void) "
                           "{ return pcfmcp__engine() + pcfmcp__pcf_call() + pcfmcp_pcf_get(); }\n",
}


def build(files, layers=("core", "mcp", "pcf", "tools"), into=None):
    """Writes a fake tree, compiles lib/<layer>/*.c into libpcfmcp-<layer>.a
    (or into the archive @p into names for a file), returns the checker's
    (exit code, output)."""
    into = into or {}
    with tempfile.TemporaryDirectory() as top:
        src, arch = os.path.join(top, "src"), os.path.join(top, "libs")
        os.makedirs(os.path.join(src, "lib"))
        os.makedirs(arch)
        with open(os.path.join(src, "lib", "layers.txt"), "w") as f:
            f.write(RULES)
        for name, text in files.items():
            path = os.path.join(src, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        objects = {layer: [] for layer in layers}
        for name in files:
            if not (name.startswith("lib/") and name.endswith(".c")):
                continue
            layer = into.get(name, name.split("/")[1])
            obj = os.path.join(arch, f"libpcfmcp_{layer}_la-{os.path.basename(name)[:-2]}.o")
            subprocess.run(CC + ["-c", "-I", os.path.join(src, "lib"), "-I",
                                 os.path.join(src, "include"), os.path.join(src, name),
                                 "-o", obj], check=True)
            objects[layer].append(obj)
        for layer, objs in objects.items():
            subprocess.run(["ar", "rc", os.path.join(arch, f"libpcfmcp-{layer}.a"), *objs],
                           check=True)
        r = subprocess.run([sys.executable, CHECK, src, arch], capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr


def with_file(name, text):
    files = dict(CLEAN)
    files[name] = text
    return files


CASES = [
    # (what, files, extra build args, text the failure must contain)
    ("an upward call (core needs mcp)",
     with_file("lib/core/alloc.c", "int pcfmcp__engine(void);\nint pcfmcp__alloc(void);\n"
               "int pcfmcp__alloc(void) { return pcfmcp__engine(); }\n"), {},
     "symbol: core -> mcp: lib/core/{alloc.c} need pcfmcp__engine"),
    ("a sideways call (mcp needs pcf), declared by hand",
     with_file("lib/mcp/engine.c", "int pcfmcp__pcf_call(void);\nint pcfmcp__engine(void);\n"
               "int pcfmcp__engine(void) { return pcfmcp__pcf_call(); }\n"), {},
     "symbol: mcp -> pcf"),
    ("a sideways internal include (mcp includes pcf/)",
     with_file("lib/mcp/engine.c", '#include "pcf/client.h"\nint pcfmcp__engine(void);\n'
               "int pcfmcp__engine(void) { return 0; }\n"), {},
     'include: mcp -> pcf: lib/mcp/engine.c includes "pcf/client.h"'),
    ("a sideways public include (mcp includes <pcfmcp/pcf.h>)",
     with_file("lib/mcp/engine.c", "#include <pcfmcp/pcf.h>\nint pcfmcp__engine(void);\n"
               "int pcfmcp__engine(void) { return 0; }\n"), {},
     "include: mcp -> pcf: lib/mcp/engine.c includes <pcfmcp/pcf.h>"),
    ("an include that bypasses the layer directories",
     with_file("lib/mcp/engine.c", '#include "../pcf/client.h"\nint pcfmcp__engine(void);\n'
               "int pcfmcp__engine(void) { return 0; }\n"), {},
     'lib/mcp/engine.c includes "../pcf/client.h"'),
    ("a source built into another layer's library",
     CLEAN, {"into": {"lib/pcf/client.c": "core"}},
     "lib/pcf/client.c is not built into libpcfmcp-pcf.la"),
    ("a source built into no library",
     with_file("lib/mcp/extra.c", "int pcfmcp__extra(void);\nint pcfmcp__extra(void) { return 0; }\n"),
     {"into": {"lib/mcp/extra.c": "nowhere"}},
     "lib/mcp/extra.c is not built into libpcfmcp-mcp.la"),
]


def main():
    fails = 0
    rc, out = build(CLEAN)
    if rc != 0 or "layers hold" not in out:
        print(f"FAIL: a clean tree is refused:\n{out}")
        fails += 1
    else:
        print(f"ok: a clean tree passes ({out.strip()})")
    for what, files, kw, expect in CASES:
        layers = ("core", "mcp", "pcf", "tools")
        into = kw.get("into", {})
        extra = tuple(v for v in into.values() if v not in layers)
        rc, out = build(files, layers + extra, into)
        if rc == 1 and expect in out:
            print(f"ok: {what} fails the check")
        else:
            print(f"FAIL: {what}: exit {rc}, expected '{expect}' in:\n{out}")
            fails += 1
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
