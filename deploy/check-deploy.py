"""Offline validation of deploy/: every YAML and JSON file parses; the
Kubernetes manifests have the security context, probes, replicas, PDB and
HPA the production checklist asks for; the Prometheus rules and the
Grafana dashboard are well-formed and use only metrics pcf-mcp exports;
the production configuration is accepted by `pcf-mcp config check`;
kustomize builds (when kubectl is installed); the k6 script parses (when
node is installed); the Dockerfile runs as a non-root user."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir") or SRC
DEPLOY = os.path.join(SRC, "deploy")
problems = []
notes = []


def bad(msg):
    problems.append(msg)


try:
    import yaml
except ImportError:  # PyYAML is optional: the structural checks need it
    yaml = None


def load_yaml(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# ------------------------------------------------------------------ metrics

def exported_metrics():
    names = set()
    for f in ("lib/server/guards.c", "lib/hardening/metrics.c"):
        with open(os.path.join(SRC, f)) as fh:
            names.update(re.findall(r'"((?:pcf_mcp|process)_[a-z_]+)"', fh.read()))
    hist = {n for n in names if n.endswith("_seconds") and "duration" in n}
    for n in hist:
        names.update({n + "_bucket", n + "_sum", n + "_count"})
    return names


KNOWN = exported_metrics()


def check_promql(where, expr):
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    in_str = False
    for ch in expr:
        if ch == '"':
            in_str = not in_str
        elif not in_str and ch in pairs:
            stack.append(pairs[ch])
        elif not in_str and ch in ")]}":
            if not stack or stack.pop() != ch:
                bad("{}: unbalanced '{}' in {}".format(where, ch, expr))
                return
    if stack or in_str:
        bad("{}: unbalanced expression: {}".format(where, expr))
    for d in re.findall(r"\[([^\]]+)\]", expr):
        if not re.fullmatch(r"\d+[smhdwy]", d.strip()):
            bad("{}: bad range [{}]".format(where, d))
    for name in re.findall(r"\b((?:pcf_mcp|process)_[a-z_]+)\b", expr):
        if name not in KNOWN:
            bad("{}: pcf-mcp exports no metric {}".format(where, name))


# ------------------------------------------------------------------ checks

def check_yaml_files():
    files = sorted(glob.glob(os.path.join(DEPLOY, "**", "*.y*ml"), recursive=True))
    for f in files:
        try:
            load_yaml(f)
        except yaml.YAMLError as e:
            bad("{}: YAML does not parse: {}".format(f, e))
    return files


def check_kubernetes():
    k8s = os.path.join(DEPLOY, "kubernetes")
    objs = {}
    with open(os.path.join(k8s, "kustomization.yaml")) as f:
        kust = yaml.safe_load(f)
    for res in kust["resources"]:
        p = os.path.join(k8s, res)
        if not os.path.exists(p):
            bad("kustomization lists missing {}".format(res))
            continue
        for d in load_yaml(p):
            for k in ("apiVersion", "kind", "metadata"):
                if k not in d:
                    bad("{}: object without {}".format(res, k))
            objs.setdefault(d.get("kind"), []).append(d)
    with open(os.path.join(k8s, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    dep = objs["Deployment"][0]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    sc = c.get("securityContext", {})
    psc = pod.get("securityContext", {})
    if spec.get("replicas", 1) < 3:
        bad("Deployment: fewer than 3 replicas")
    if not psc.get("runAsNonRoot"):
        bad("Deployment: runAsNonRoot is not set")
    if not sc.get("readOnlyRootFilesystem"):
        bad("Deployment: the root file system is writable")
    if sc.get("allowPrivilegeEscalation") is not False:
        bad("Deployment: privilege escalation is not forbidden")
    if sc.get("capabilities", {}).get("drop") != ["ALL"]:
        bad("Deployment: capabilities are not all dropped")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        bad("Deployment: no RuntimeDefault seccomp profile")
    if pod.get("automountServiceAccountToken") is not False:
        bad("Deployment: the service account token is mounted")
    if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
        bad("Deployment: readiness probe is not /readyz")
    if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
        bad("Deployment: liveness probe is not /healthz")
    if "limits" not in c.get("resources", {}) or "requests" not in c.get("resources", {}):
        bad("Deployment: resource requests and limits are not both set")
    if "podAntiAffinity" not in pod.get("affinity", {}):
        bad("Deployment: no pod anti-affinity")
    grace = cfg["server"]["shutdown_grace"]
    m = re.fullmatch(r"(\d+)s", str(grace))
    if not m or pod.get("terminationGracePeriodSeconds", 30) <= int(m.group(1)):
        bad("Deployment: terminationGracePeriodSeconds must exceed server.shutdown_grace")
    pdb = objs["PodDisruptionBudget"][0]["spec"]
    if not (0 < pdb.get("minAvailable", 0) < spec["replicas"]):
        bad("PDB: minAvailable must be between 1 and replicas - 1")
    hpa = objs["HorizontalPodAutoscaler"][0]["spec"]
    if hpa.get("minReplicas", 1) < 3 or hpa["maxReplicas"] < hpa["minReplicas"]:
        bad("HPA: replicas below 3 or max below min")
    kinds = {d["spec"].get("policyTypes") and tuple(d["spec"]["policyTypes"])
             for d in objs.get("NetworkPolicy", [])}
    if ("Ingress", "Egress") not in kinds:
        bad("NetworkPolicy: no policy covers both ingress and egress")
    ns = objs["Namespace"][0]["metadata"]["labels"]
    if ns.get("pod-security.kubernetes.io/enforce") != "restricted":
        bad("Namespace: Pod Security Standard 'restricted' is not enforced")
    if shutil.which("kubectl"):
        r = subprocess.run(["kubectl", "kustomize", k8s], capture_output=True, text=True)
        if r.returncode != 0:
            bad("kubectl kustomize failed: " + r.stderr.strip())
    else:
        notes.append("kubectl not installed: kustomize build not checked")


def check_rules():
    path = os.path.join(DEPLOY, "monitoring", "alerts.rules.yml")
    doc = load_yaml(path)[0]
    seen = set()
    for g in doc["groups"]:
        if g["name"] in seen:
            bad("rules: group {} twice".format(g["name"]))
        seen.add(g["name"])
        for r in g["rules"]:
            name = r.get("alert") or r.get("record")
            if not name or ("alert" in r) == ("record" in r):
                bad("rules: a rule needs exactly one of alert/record: {}".format(r))
                continue
            if not isinstance(r.get("expr"), str) or not r["expr"].strip():
                bad("rules: {} has no expr".format(name))
                continue
            check_promql("rule " + name, r["expr"])
            if "for" in r and not re.fullmatch(r"\d+[smh]", str(r["for"])):
                bad("rules: {}: bad for: {}".format(name, r["for"]))
            if "alert" in r:
                if "severity" not in r.get("labels", {}):
                    bad("rules: {} has no severity".format(name))
                if "runbook" not in r.get("annotations", {}):
                    bad("rules: {} has no runbook".format(name))
                else:
                    anchor = r["annotations"]["runbook"].split("#")[-1]
                    with open(os.path.join(SRC, "docs", "operations.md")) as f:
                        if anchor and '<a id="{}">'.format(anchor) not in f.read():
                            bad("rules: {}: runbook anchor #{} missing in docs/operations.md"
                                .format(name, anchor))
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
        if r.returncode != 0:
            bad("promtool: " + r.stdout + r.stderr)
    else:
        notes.append("promtool not installed: rules checked by this script only")


def check_dashboard():
    path = os.path.join(DEPLOY, "monitoring", "grafana-dashboard.json")
    with open(path) as f:
        d = json.load(f)
    ids = set()
    for p in d["panels"]:
        if p["id"] in ids:
            bad("dashboard: panel id {} twice".format(p["id"]))
        ids.add(p["id"])
        for t in p.get("targets", []):
            check_promql("dashboard panel '{}'".format(p["title"]), t["expr"])


def check_config():
    binary = os.path.join(BUILD, "pcf-mcp")
    if not os.path.exists(binary):
        notes.append("pcf-mcp not built: production configuration not checked")
        return
    tmp = tempfile.mkdtemp()
    try:
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("11111111-2222-4333-8444-555555555555")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCF_MCP_")}
        env["PCF_MCP_PCF_TOKEN_FILE"] = tok  # the Secret mount, replaced for the check
        r = subprocess.run([binary, "config", "check",
                            os.path.join(DEPLOY, "kubernetes", "config.yaml")],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            bad("deploy/kubernetes/config.yaml is refused by pcf-mcp: " + r.stderr.strip())
    finally:
        shutil.rmtree(tmp)


def check_dockerfile():
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        text = f.read()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    if not users or users[-1].split(":")[0] in ("0", "root"):
        bad("Dockerfile: the image does not run as a non-root user")
    if re.search(r"^ADD\s+https?://", text, re.M):
        bad("Dockerfile: remote ADD (unverified download)")
    if "rm -rf /var/lib/apt/lists" not in text:
        bad("Dockerfile: apt lists are left in the image")


def check_k6():
    if not shutil.which("node"):
        notes.append("node not installed: k6 script not parsed")
        return
    tmp = tempfile.mkdtemp()
    try:
        dst = os.path.join(tmp, "k6.mjs")
        shutil.copy(os.path.join(DEPLOY, "loadtest", "k6-mcp.js"), dst)
        r = subprocess.run(["node", "--check", dst], capture_output=True, text=True)
        if r.returncode != 0:
            bad("k6-mcp.js does not parse: " + r.stderr.strip())
    finally:
        shutil.rmtree(tmp)


def main():
    if yaml is None:
        print("PyYAML not installed: deploy/ YAML not checked (SKIP)")
        check_dashboard()
        check_config()
        for p in problems:
            print("FAIL: " + p, file=sys.stderr)
        return 1 if problems else 77
    files = check_yaml_files()
    if not problems:
        check_kubernetes()
        check_rules()
    check_dashboard()
    check_config()
    check_dockerfile()
    check_k6()
    for n in notes:
        print("note: " + n)
    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    if not problems:
        print("deploy/: {} YAML files, rules, dashboard, manifests and configuration OK"
              .format(len(files)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
