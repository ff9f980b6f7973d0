#!/usr/bin/env python3
"""Renders deploy/ for one site: every example value listed in
deploy/values.env is replaced by the site's value from SITE_ENV, in copies
of deploy/kubernetes, deploy/logging and deploy/monitoring under OUT_DIR.

Usage: deploy/render.py SITE_ENV OUT_DIR
Then:  kubectl apply -k OUT_DIR/kubernetes

Refuses (exit 2) when SITE_ENV misses a name, names one values.env does
not know, or keeps an example value; and when an example value no longer
appears in the manifests (values.env out of date). Standard library only.
"""

import os
import re
import shutil
import sys

DEPLOY = os.path.dirname(os.path.abspath(__file__))
PARTS = ("kubernetes", "logging", "monitoring")


def read_env(path):
    values = {}
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
            if not m:
                raise SystemExit("{}:{}: expected NAME=value".format(path, n))
            values[m.group(1)] = m.group(2).strip()
    return values


def files(root):
    for part in PARTS:
        for dirpath, _, names in os.walk(os.path.join(root, part)):
            for name in sorted(names):
                yield os.path.join(dirpath, name)


def render(site_env, out):
    examples = read_env(os.path.join(DEPLOY, "values.env"))
    site = read_env(site_env)
    problems = []
    problems += ["{}: {} is missing".format(site_env, k) for k in examples if k not in site]
    problems += ["{}: {} is not a deploy/values.env name".format(site_env, k)
                 for k in site if k not in examples]
    problems += ["{}: {} is still the example value {}".format(site_env, k, v)
                 for k, v in site.items() if examples.get(k) == v]
    texts = {}
    for path in files(DEPLOY):
        with open(path, encoding="utf-8") as fh:
            texts[path] = fh.read()
    for k, v in examples.items():
        if not any(v in t for t in texts.values()):
            problems.append("deploy/values.env: {}={} appears nowhere in deploy/ (out of date)"
                            .format(k, v))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    # Longest first, so a value that contains another is replaced whole.
    order = sorted(examples, key=lambda k: -len(examples[k]))
    for path, text in texts.items():
        for k in order:
            text = text.replace(examples[k], site[k])
        dst = os.path.join(out, os.path.relpath(path, DEPLOY))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8") as fh:
            fh.write(text)
        shutil.copymode(path, dst)
    print("rendered {} files into {} ({} site values)".format(len(texts), out, len(site)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(render(sys.argv[1], sys.argv[2]))
