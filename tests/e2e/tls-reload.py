#!/usr/bin/env python3
"""pcf-mcp serve over HTTPS: SIGHUP swaps the certificate for new
handshakes while an open keep-alive connection goes on working.
Usage: tls-reload.py PCF_MCP_BINARY WORKDIR   (needs certtool)"""
import http.client, os, re, signal, ssl, subprocess, sys, time

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def tmpl(name, text):
    with open(os.path.join(work, name), "w") as f:
        f.write(text)
    return os.path.join(work, name)
ca_key, ca = os.path.join(work, "ca-key.pem"), os.path.join(work, "ca.pem")
key, cert = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
run("certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", ca_key)
run("certtool", "--generate-self-signed", "--load-privkey", ca_key, "--outfile", ca,
    "--template", tmpl("ca.tmpl", 'cn = "reload CA"\nca\ncert_signing_key\nexpiration_days = 2\n'))
run("certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", key)
def issue(serial):
    run("certtool", "--generate-certificate", "--load-privkey", key, "--load-ca-certificate", ca,
        "--load-ca-privkey", ca_key, "--outfile", cert, "--template",
        tmpl("srv.tmpl", f'cn = "localhost"\nserial = {serial}\ndns_name = "localhost"\n'
                         f'ip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 2\n'))
issue(1001)

proc = subprocess.Popen([binary, "serve", "--transport", "http", "--server-port", "0", "--log-format", "text",
                         "--server-tls-cert", cert, "--server-tls-key", key],
                        stderr=subprocess.PIPE, text=True)
failures = 0
def check(name, ok, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
    failures += 0 if ok else 1
try:
    port = None
    deadline = time.time() + 10
    while time.time() < deadline and port is None:
        line = proc.stderr.readline()
        m = re.search(r"https://127\.0\.0\.1:(\d+)/mcp", line)
        port = int(m.group(1)) if m else None
    ctx = ssl.create_default_context(cafile=ca)
    def write_pem(der):
        path = os.path.join(work, "peer.pem")
        with open(path, "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        return path
    def serial(conn):
        return int(ssl._ssl._test_decode_cert(write_pem(conn.sock.getpeercert(binary_form=True)))["serialNumber"], 16)
    kept = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    kept.request("GET", "/healthz"); r = kept.getresponse(); r.read()
    check("https /healthz", r.status == 200, r.status)
    check("first certificate", serial(kept) == 1001, serial(kept))
    issue(2002)
    proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    reloaded = False
    while time.time() < deadline and not reloaded:
        reloaded = "TLS certificate reloaded" in proc.stderr.readline()
    check("SIGHUP reloads the certificate", reloaded)
    fresh = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    fresh.request("GET", "/healthz"); r2 = fresh.getresponse(); r2.read()
    check("new handshakes get the new certificate", serial(fresh) == 2002, serial(fresh))
    kept.request("GET", "/healthz"); r3 = kept.getresponse(); r3.read()
    check("the open connection keeps working", r3.status == 200 and serial(kept) == 1001, r3.status)
finally:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)
print("all passed" if not failures else f"{failures} failed")
sys.exit(1 if failures else 0)
