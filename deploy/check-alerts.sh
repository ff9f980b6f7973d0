#!/bin/sh
# The alert rules are valid (promtool check rules), each alert's unit tests
# in deploy/monitoring/alerts.test.yml pass (promtool test rules), and every
# alert has at least one test in which it fires. promtool comes with
# Debian's prometheus package (scripts/deps.sh installs it).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
mon="$top_srcdir/deploy/monitoring"
command -v promtool >/dev/null 2>&1 || {
    echo "check-alerts: promtool is not installed (apt-get install prometheus)" >&2
    exit 1
}
promtool check rules "$mon/alerts.rules.yml"
# promtool writes nothing into the tree, but reads rule_files relative to the test file.
promtool test rules "$mon/alerts.test.yml"
python3 - "$mon/alerts.rules.yml" "$mon/alerts.test.yml" <<'PY'
import re, sys
rules = open(sys.argv[1]).read()
tests = open(sys.argv[2]).read()
alerts = re.findall(r"^\s*- alert:\s*(\S+)", rules, re.M)
# An alert is tested when some alert_rule_test names it with a non-empty exp_alerts.
fired = set(re.findall(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels", tests))
missing = [a for a in alerts if a not in fired]
if missing:
    sys.exit("check-alerts: no test makes these alerts fire: " + ", ".join(missing))
print("check-alerts: %d alerts, each fires in a promtool test" % len(alerts))
PY
