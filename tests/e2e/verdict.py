#!/usr/bin/env python3
"""Judges one conformance scenario run from its checks.json: fails on any
FAILURE the suite could evaluate. A FAILURE the suite itself marks
`details.untestable` (the check needs a diagnostic fixture tool that only
examples/everything-server registers) is listed with its reason, not
counted; so is a WARNING (a SHOULD). A run with no successful check of
its own fails (wire-schema-valid, which every run adds, does not count), so
a scenario that tested nothing cannot pass.
Usage: verdict.py SCENARIO RESULTS_DIR"""
import glob, json, os, sys

scenario, results = sys.argv[1], sys.argv[2]
files = glob.glob(os.path.join(results, "**", "checks.json"), recursive=True)
if len(files) != 1:
    print("✗ {}: expected one checks.json under {}, found {}".format(scenario, results, len(files)))
    sys.exit(1)
with open(files[0]) as f:
    checks = json.load(f)
bad, passed, notes = [], 0, []
for c in checks:
    st, why = c.get("status"), (c.get("errorMessage") or "").strip()
    if st == "SUCCESS":
        passed += c.get("id") != "wire-schema-valid"
    elif st == "FAILURE" and (c.get("details") or {}).get("untestable"):
        notes.append("    untestable {}: {}".format(c["id"], why[:200]))
    elif st == "FAILURE":
        bad.append("    FAILED {}: {}".format(c["id"], why[:400]))
    elif st == "WARNING":
        notes.append("    warning {}: {}".format(c["id"], why[:200]))
ok = not bad and passed > 0
print("{} {} ({} passed{})".format("✓" if ok else "✗", scenario, passed,
                                    ", {} not counted".format(len(notes)) if notes else ""))
for line in bad + notes:
    print(line)
sys.exit(0 if ok else 1)
