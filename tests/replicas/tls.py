"""The store over TLS with a user and password: redis-server with
--tls-port, a CA and certificates made here with certtool, client
certificates required (--tls-auth-clients yes), and the ACL that
deploy/kubernetes/redis/redis.yaml installs (default user off, pcf-mcp
allowed exactly its commands on its keys). Two replicas given
rediss://pcf-mcp@..., the CA, a client certificate and the password in a
file share one rate limit. A replica that does not trust the server's CA,
or presents no client certificate, works alone and says why in /readyz.
The password appears in no log line and not in `config dump`."""

import os
import shutil
import subprocess

import replicas as r

BURST = 3


def certtool(*args):
    subprocess.run(["certtool"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_pki(d, name, with_server=True):
    """A CA, and (optionally) a server certificate for 127.0.0.1 and a
    client certificate signed by it."""
    def tmpl(fname, text):
        path = os.path.join(d, fname)
        with open(path, "w") as f:
            f.write(text)
        return path
    p = {k: os.path.join(d, "{}-{}".format(name, k)) for k in
         ("ca.key", "ca.crt", "server.key", "server.crt", "client.key", "client.crt")}
    certtool("--generate-privkey", "--key-type", "ecdsa", "--outfile", p["ca.key"])
    certtool("--generate-self-signed", "--load-privkey", p["ca.key"], "--outfile", p["ca.crt"],
             "--template", tmpl(name + "-ca.tmpl", 'cn = "{} test CA"\nca\ncert_signing_key\n'
                                'expiration_days = 2\n'.format(name)))
    if with_server:
        for who, extra in (("server", 'ip_address = "127.0.0.1"\ntls_www_server\n'),
                           ("client", "tls_www_client\n")):
            certtool("--generate-privkey", "--key-type", "ecdsa", "--outfile", p[who + ".key"])
            certtool("--generate-certificate", "--load-privkey", p[who + ".key"],
                     "--load-ca-certificate", p["ca.crt"], "--load-ca-privkey", p["ca.key"],
                     "--outfile", p[who + ".crt"],
                     "--template", tmpl("{}-{}.tmpl".format(name, who),
                                        'cn = "127.0.0.1"\n{}signing_key\nencryption_key\n'
                                        'expiration_days = 2\n'.format(extra)))
    return p


def main():
    r.require("tests/replicas/tls")
    if not shutil.which("certtool"):
        r.h.check(os.environ.get("PCFMCP_REQUIRE_REDIS") != "1", "certtool (gnutls-bin) missing")
        print("SKIP: certtool (gnutls-bin) is not installed")
        return 77
    with r.Bench("pcfmcp-replicas-tls-") as t:
        run_tls(t)


def run_tls(t):
    tmp = t.tmp
    pki = make_pki(tmp, "good")
    other = make_pki(tmp, "other", with_server=False)
    password = "tls-store-pw-7f3a9c"
    pw_file = os.path.join(tmp, "store-password")
    with open(pw_file, "w") as f:
        f.write(password + "\n")
    redis = t.store(acl=r.deployed_acl(password),
                    tls={"cert": pki["server.crt"], "key": pki["server.key"],
                         "ca": pki["ca.crt"], "auth_clients": "yes"})
    url = "rediss://pcf-mcp@127.0.0.1:{}/0".format(redis.port)
    tls_args = ["--store-password-file", pw_file, "--store-ca-file", pki["ca.crt"],
                "--store-client-cert", pki["client.crt"], "--store-client-key", pki["client.key"]]
    limits = ["--stateless", "--rate-limit-requests-per-second", "0.01",
              "--rate-limit-burst", str(BURST)]
    a, b = t.pair(url, limits + tls_args)
    admitted = 0
    for i in range(12):
        st, _, _ = r.stateless_post(a if i % 2 else b,
                                    {"jsonrpc": "2.0", "id": i, "method": "ping"})
        admitted += st == 200
    r.check(admitted == BURST, "{} admitted over TLS across two replicas, burst {}"
            .format(admitted, BURST))
    print("rediss:// with the deployed ACL user and a client certificate: {} of 12 "
          "admitted across 2 replicas (burst {})".format(admitted, BURST))

    untrusting = t.replica("c", url, limits + [
        "--store-password-file", pw_file, "--store-ca-file", other["ca.crt"],
        "--store-client-cert", pki["client.crt"], "--store-client-key", pki["client.key"]],
        wait=False)
    certless = t.replica("d", url, limits + [
        "--store-password-file", pw_file, "--store-ca-file", pki["ca.crt"]], wait=False)
    for rep, want in ((untrusting, "not trusted"), (certless, "store.client_cert")):
        r.h.wait_for(lambda: any(want in x and "unreachable" in x
                                 for x in rep.ready()[1]["reasons"]), 15,
                     "{}: /readyz naming {!r}".format(rep.name, want))
        r.check(rep.metric("pcf_mcp_store_up") == 0, rep.name + ": store up?")
    print("a replica not trusting the CA, and one without a client certificate: "
          "store down, /readyz says why")

    dump = subprocess.run([r.h.binary(), "config", "dump"], capture_output=True, text=True,
                          env=r.h.clean_env({"PCF_MCP_STORE_URL": url.replace(
                                                 "pcf-mcp@", "pcf-mcp:" + password + "@"),
                                             "PCF_MCP_STORE_PASSWORD_FILE": pw_file}))
    r.check(dump.returncode == 0 and "[REDACTED]" in dump.stdout, "config dump failed")
    for text, where in [(dump.stdout + dump.stderr, "config dump")] + \
            [(rep.stderr_text(), rep.name + "'s log") for rep in t.reps]:
        r.check(password not in text, "the store password appears in " + where)
    print("the password appears in no log and not in config dump")


if __name__ == "__main__":
    r.run(main)
