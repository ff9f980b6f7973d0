"""SIGHUP reload is all-or-nothing: the keys file gains a key while the
certificate file is corrupt, so the reload is refused and the new key stays
refused (401); once the certificate is fixed, the next SIGHUP applies both
the new key and the new certificate. A renamed certificate file is refused
with a log line naming the key."""

import os
import signal
import ssl

import harness as h


def serving_cert(port):
    return ssl.get_server_certificate(("127.0.0.1", port))


def main():
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-reload-atomic-")
    pair = h.self_signed(tmp, "a")
    if pair is None:
        print("SKIP: no openssl to make certificates")
        return 77
    cert, key = pair
    keys = os.path.join(tmp, "keys")
    cfg = os.path.join(tmp, "config.yaml")
    with open(keys, "w") as f:
        f.write(h.key_line("alice", "alice-secret-0123456789") + "\n")

    def write_cfg(cert_path):
        with open(cfg, "w") as f:
            f.write("server:\n  tls_cert: {}\n  tls_key: {}\nauth:\n  api_keys_file: {}\n"
                    .format(cert_path, key, keys))

    write_cfg(cert)
    proc = h.HttpPcfMcp(["--config", cfg], workdir=tmp, tls=True)
    try:
        # initialize needs no session, so its status is the authenticator's verdict.
        ping = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "e2e", "version": "1"}}}
        h.check(proc.post(ping, key="alice-secret-0123456789")[0] == 200, "alice refused at start")
        h.check(proc.post(ping, key="bob-secret-0123456789ab")[0] == 401, "bob accepted before he exists")
        old_pem = serving_cert(proc.port)

        def sighup(want):
            n = proc.stderr_text().count(want)
            proc.signal(signal.SIGHUP)
            h.wait_for(lambda: proc.stderr_text().count(want) > n, timeout=30, what=want)

        # Bob's key and a broken certificate arrive together: nothing changes.
        with open(keys, "a") as f:
            f.write(h.key_line("bob", "bob-secret-0123456789ab") + "\n")
        good = open(cert).read()
        with open(cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        sighup("reload refused")
        status = proc.post(ping, key="bob-secret-0123456789ab")[0]
        h.check(status == 401, "bob's key went live in a refused reload ({})".format(status))
        h.check(proc.post(ping, key="alice-secret-0123456789")[0] == 200, "alice lost access")
        h.check(serving_cert(proc.port) == old_pem, "certificate changed in a refused reload")
        logs = proc.stderr_text()
        h.check("reload refused, nothing changed" in logs, "refusal not logged:\n" + logs[-2000:])

        # A fixed (and renewed) certificate: both changes are applied.
        new_cert, new_key = h.self_signed(tmp, "b")
        with open(cert, "w") as f:
            f.write(open(new_cert).read())
        with open(key, "w") as f:
            f.write(open(new_key).read())
        h.check(open(cert).read() != good, "openssl made the same certificate twice")
        sighup("reload applied")
        h.check(proc.post(ping, key="bob-secret-0123456789ab")[0] == 200, "bob still refused after reload")
        h.check(proc.post(ping, key="alice-secret-0123456789")[0] == 200, "alice lost access")
        h.check(serving_cert(proc.port) != old_pem, "renewed certificate not served")

        # Another certificate file name: refused, and the log says which key.
        write_cfg(new_cert)
        sighup("reload refused")
        h.check("reload refused: server.tls_cert changed" in proc.stderr_text(),
                "renamed certificate not named in the log")
        h.check(proc.post(ping, key="bob-secret-0123456789ab")[0] == 200, "keys lost in a refused reload")
        print("reload: refused as a whole with a bad certificate, applied as a whole once fixed")
        return 0
    finally:
        proc.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
