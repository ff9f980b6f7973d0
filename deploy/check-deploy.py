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

# Metrics the alerts name before the code exporting them lands. A name
# leaves this set as soon as the library exports it (checked below); PCF
# reachability (pcf_mcp_pcf_up, pcf_mcp_pcf_last_check_timestamp_seconds)
# is exported by the background readiness check now.
PENDING_METRICS = set()


def exported_metrics():
    names = set()
    for f in sorted(glob.glob(os.path.join(SRC, "lib", "**", "*.c"), recursive=True)):
        with open(f) as fh:
            names.update(re.findall(r'"((?:pcf_mcp|process)_[a-z_]+)"', fh.read()))
    for n in sorted(PENDING_METRICS & names):
        bad("{} is exported now: remove it from PENDING_METRICS".format(n))
    names |= PENDING_METRICS
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
    # The admission policy admits the manifests' own image and refuses :latest.
    vap = objs.get("ValidatingAdmissionPolicy", [])
    if not vap or not objs.get("ValidatingAdmissionPolicyBinding"):
        bad("no ValidatingAdmissionPolicy (and binding) for the namespace")
    else:
        exprs = " ".join(v["expression"] for v in vap[0]["spec"]["validations"])
        image = c["image"]
        repo = image.split(":")[0]
        if "'{}:'".format(repo) not in exprs:
            bad("admission policy does not admit the Deployment's image {}".format(image))
        if not re.search(r":[0-9]+[.][0-9]+[.][0-9]+$", image) or "':latest'" not in exprs:
            bad("admission policy or image: the image must be pinned and :latest refused")
    ns = objs["Namespace"][0]["metadata"]["labels"]
    if ns.get("pod-security.kubernetes.io/enforce") != "restricted":
        bad("Namespace: Pod Security Standard 'restricted' is not enforced")
    if shutil.which("kubectl"):
        r = subprocess.run(["kubectl", "kustomize", k8s], capture_output=True, text=True)
        if r.returncode != 0:
            bad("kubectl kustomize failed: " + r.stderr.strip())
    else:
        notes.append("kubectl not installed: kustomize build not checked")


def check_store_component():
    """deploy/kubernetes/redis: the optional store. Its Deployment is held
    to the same rules as pcf-mcp's, only pcf-mcp may reach it, and the
    patch points pcf-mcp at its Service with the password from a file."""
    k8s = os.path.join(DEPLOY, "kubernetes")
    comp = os.path.join(k8s, "redis")
    with open(os.path.join(comp, "kustomization.yaml")) as f:
        kust = yaml.safe_load(f)
    if kust.get("kind") != "Component":
        bad("redis/kustomization.yaml is not a kustomize Component")
    objs = {}
    for res in kust.get("resources", []):
        for d in load_yaml(os.path.join(comp, res)):
            objs.setdefault(d.get("kind"), []).append(d)
    dep, svc = objs["Deployment"][0], objs["Service"][0]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    sc, psc = c.get("securityContext", {}), pod.get("securityContext", {})
    if not psc.get("runAsNonRoot") or not sc.get("readOnlyRootFilesystem") or \
            sc.get("allowPrivilegeEscalation") is not False or \
            sc.get("capabilities", {}).get("drop") != ["ALL"] or \
            psc.get("seccompProfile", {}).get("type") != "RuntimeDefault" or \
            pod.get("automountServiceAccountToken") is not False:
        bad("redis Deployment: not as locked down as pcf-mcp's")
    if "limits" not in c.get("resources", {}):
        bad("redis Deployment: no resource limits")
    args = c.get("args", [])
    if "--aclfile" not in args or "--requirepass" in args:
        bad("redis Deployment: the password must come from the ACL file, not the command line")
    np = [d for d in objs.get("NetworkPolicy", [])
          if d["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
          == "pcf-mcp-redis"]
    if not np or np[0]["spec"].get("egress") != []:
        bad("redis NetworkPolicy: the store must talk to no one")
    patches = {}
    for p in kust.get("patches", []):
        patches[p["target"]["kind"]] = load_yaml(os.path.join(comp, p["path"]))[0]
    env = {}
    for op in patches.get("Deployment", []):
        if op.get("path", "").endswith("/env"):
            env = {e["name"]: e.get("value") for e in op["value"]}
    url = env.get("PCF_MCP_STORE_URL", "")
    host = "{}:{}".format(svc["metadata"]["name"], svc["spec"]["ports"][0]["port"])
    if host not in url:
        bad("redis component: PCF_MCP_STORE_URL {!r} does not name the Service {}".format(url, host))
    if re.search(r"://[^/@]*:[^/@]*@", url):
        bad("redis component: the store password is in the URL; use the password file")
    if "PCF_MCP_STORE_PASSWORD_FILE" not in env:
        bad("redis component: no store password file")
    egress = json.dumps(patches.get("NetworkPolicy", []))
    if "pcf-mcp-redis" not in egress or "6379" not in egress:
        bad("redis component: pcf-mcp's NetworkPolicy does not let it reach the store")
    if shutil.which("kubectl"):
        with tempfile.TemporaryDirectory() as tmp:
            # The base with the component switched on.
            with open(os.path.join(k8s, "kustomization.yaml")) as f:
                base = yaml.safe_load(f)
            shutil.copytree(k8s, os.path.join(tmp, "k"))
            base["components"] = ["redis"]
            with open(os.path.join(tmp, "k", "kustomization.yaml"), "w") as f:
                yaml.safe_dump(base, f)
            r = subprocess.run(["kubectl", "kustomize", os.path.join(tmp, "k")],
                               capture_output=True, text=True)
            if r.returncode != 0:
                bad("kubectl kustomize with the redis component failed: " + r.stderr.strip())


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
        keys = os.path.join(tmp, "api-keys")
        with open(keys, "w") as f:
            f.write("")
        # The Secret mounts, replaced for the check: config check reads every
        # file the server would read, as serve does.
        env["PCF_MCP_PCF_TOKEN_FILE"] = tok
        env["PCF_MCP_AUTH_API_KEYS_FILE"] = keys
        r = subprocess.run([binary, "config", "check",
                            os.path.join(DEPLOY, "kubernetes", "config.yaml")],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            bad("deploy/kubernetes/config.yaml is refused by pcf-mcp: " + r.stderr.strip())
    finally:
        shutil.rmtree(tmp)


def check_render():
    """deploy/render.py with a site's values: nothing of the examples is
    left, the rendered configuration passes config check, and (with
    kubectl) kustomize builds the rendered tree. README lists every value."""
    examples = {}
    with open(os.path.join(DEPLOY, "values.env")) as f:
        for line in f:
            m = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line.strip())
            if m:
                examples[m.group(1)] = m.group(2)
    with open(os.path.join(SRC, "README.md")) as f:
        readme = f.read()
    for k in examples:
        if "`{}`".format(k) not in readme:
            bad("README.md does not list deploy/values.env's {}".format(k))
    site = {"PCF_URL": "https://pcf.corp.test", "PCF_CIDR": "198.51.100.7/32",
            "IMAGE": "registry.corp.test/sec/pcf-mcp", "HOSTNAME": "mcp.corp.test",
            "TRUSTED_PROXIES": "172.20.0.0/16", "OTLP_ENDPOINT": "http://otel.corp.test:4318",
            "LOKI_HOST": "loki.corp.test", "AUDIT_BUCKET": "corp-audit",
            "AUDIT_REGION": "eu-west-3"}
    tmp = tempfile.mkdtemp()
    try:
        env = os.path.join(tmp, "site.env")
        with open(env, "w") as f:
            f.write("".join("{}={}\n".format(k, v) for k, v in site.items()))
        out = os.path.join(tmp, "out")
        r = subprocess.run([sys.executable, os.path.join(DEPLOY, "render.py"), env, out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            bad("render.py refused a complete site file: " + r.stderr.strip())
            return
        for dirpath, _, names in os.walk(out):
            for name in names:
                with open(os.path.join(dirpath, name)) as f:
                    text = f.read()
                for k, v in examples.items():
                    if v in text:
                        bad("rendered {}: example {} still present".format(name, k))
        with open(os.path.join(out, "kubernetes", "config.yaml")) as f:
            if "url: https://pcf.corp.test" not in f.read():
                bad("rendered config.yaml lacks the site's pcf.url")
        # A site file that keeps an example value is refused.
        with open(env, "a") as f:
            f.write("HOSTNAME={}\n".format(examples["HOSTNAME"]))
        r = subprocess.run([sys.executable, os.path.join(DEPLOY, "render.py"), env,
                            os.path.join(tmp, "out2")], capture_output=True, text=True)
        if r.returncode != 2 or "still the example value" not in r.stderr:
            bad("render.py accepted an example value left in place")
        if shutil.which("kubectl"):
            r = subprocess.run(["kubectl", "kustomize", os.path.join(out, "kubernetes")],
                               capture_output=True, text=True)
            if r.returncode != 0 or "image: registry.corp.test/sec/pcf-mcp:" not in r.stdout:
                bad("kubectl kustomize of the rendered tree: " + r.stderr.strip())
    finally:
        shutil.rmtree(tmp)


def check_retention():
    """Log, trace and audit retention are set, and audit records outlive the
    lock that keeps them (docs/operations.md: logs 30 d, traces 14 d, audit 1 y)."""
    with open(os.path.join(DEPLOY, "logging", "retention.yaml")) as f:
        r = yaml.safe_load(f)

    def days(v):
        m = re.fullmatch(r"(\d+)([dh])", str(v))
        return int(m.group(1)) / (24 if m.group(2) == "h" else 1) if m else None

    logs = days(r["loki"]["limits_config"]["retention_period"])
    if not r["loki"]["compactor"].get("retention_enabled") or not logs or logs < 30:
        bad("retention: Loki keeps logs less than 30 days (or retention is off)")
    traces = days(r["tempo"]["compactor"]["compaction"]["block_retention"])
    if not traces or traces < 14:
        bad("retention: traces kept less than 14 days")
    lock = r["audit_bucket"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    expiry = r["audit_bucket"]["LifecycleConfiguration"]["Rules"][0]["Expiration"]["Days"]
    if lock.get("Mode") != "COMPLIANCE" or lock.get("Days", 0) < 365:
        bad("retention: audit records are not locked (COMPLIANCE) for a year")
    if expiry <= lock.get("Days", 0):
        bad("retention: audit records expire before their lock ends")
    with open(os.path.join(DEPLOY, "logging", "fluent-bit.conf")) as f:
        if "bucket  pentest-audit" not in f.read():
            bad("retention: fluent-bit.conf's audit bucket is not the one retention.yaml locks")


def check_readme_paths():
    """The client snippets name the binary where each install puts it: the
    Debian package's /usr/bin (debian/pcf-mcp.install) and a source build's
    /usr/local/bin (configure's default prefix)."""
    with open(os.path.join(SRC, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(SRC, "debian", "pcf-mcp.install")) as f:
        if "usr/bin/pcf-mcp" not in f.read().split():
            bad("debian/pcf-mcp.install no longer installs usr/bin/pcf-mcp")
    with open(os.path.join(SRC, "configure.ac")) as f:
        if "AC_PREFIX_DEFAULT" in f.read():
            bad("configure.ac changes the default prefix: update README's /usr/local/bin")
    for path in ('"command": "/usr/bin/pcf-mcp"', '"command": "/usr/local/bin/pcf-mcp"',
                 '"command": "docker"'):
        if path not in readme:
            bad("README.md: no client snippet with {}".format(path))


def check_doc_commands():
    """A shell variable inside single quotes is never expanded: the smoke
    test once sent the literal text $KEY as its bearer token (always 401)."""
    for doc in ("docs/operations.md", "README.md", "bindings/python/README.md"):
        with open(os.path.join(SRC, doc)) as f:
            text = f.read()
        spans = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
        spans += re.findall(r"`([^`\n]*(?:curl|pcf-mcp|docker|kubectl)[^`\n]*)`", text)
        for span in spans:
            for quoted in re.findall(r"'([^'\n]*)'", span):
                m = re.search(r"\$(?:\{?[A-Z_][A-Z0-9_]*)", quoted)
                if m:
                    bad("{}: {} inside single quotes is not expanded by the shell: '{}'"
                        .format(doc, m.group(0), quoted))


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
        check_store_component()
        check_rules()
    check_dashboard()
    check_config()
    check_dockerfile()
    check_doc_commands()
    check_readme_paths()
    check_render()
    check_retention()
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
