#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/corpus/<target>/seed-*.

    fuzz/seed.py [TARGET...]     (default: every target it knows)

Seeds come from the PCF fixtures captured from a real server
(tests/fixtures/pcf/, the same files as /work/shared/pcf-api/fixtures) and
from the documented file formats and protocol exchanges. Running it again
rewrites the seed-* files only: what fuzzing added (and regress-* inputs)
stays. The input format of each target is described at the top of
fuzz/fuzz_<target>.c.
"""
import base64
import glob
import hashlib
import json
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(TOP, "tests", "fixtures", "pcf")


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(target, seeds):
    d = os.path.join(TOP, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.unlink(f)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
    print("fuzz/corpus/%s: %d seeds" % (target, len(seeds)))


# ------------------------------------------------------------------ apikeys

def sha(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def apikeys():
    h0, h1 = sha("pcfmcp_alice-key-0000000000"), sha("pcfmcp_bob-key-11111111111")
    return {
        "good": "# name sha256:<hex>\nalice %s\nbob.smith@corp-1\t%s  # laptop\r\n\n" % (h0, h1),
        "bearer": "Bearer pcfmcp_alice-key-0000000000\nalice %s\nbearer\tpcfmcp_bob-key-11111111111 \n"
                  % h0,
        "upper-hex": "carol sha256:" + "22" * 31 + "AA\n",
        "bad-lines": "a sha256:" + "0" * 63 + "\n" + "n" * 65 + " " + h0 + "\nb %s\ne %s\nx md5:00\n"
                     % (h1, h1),
        "nul": "c\0d " + h0 + "\n",
        "schemes": "Basic YWxpY2U6cHc=\nBearer\nBearer a b\nBearer ===\nBearer abc==\n",
    }


# ---------------------------------------------------------------------- jwt

ISS, AUD = "https://issuer.example", "https://mcp.example/mcp"
CLAIMS = {"iss": ISS, "aud": AUD, "sub": "248289761001", "exp": 4102444800,
          "iat": 1700000000, "scope": "pcf:read pcf:write"}


def claims(**kw):
    c = dict(CLAIMS)
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return json.dumps(c, separators=(",", ":"))


def jwt():
    es = '{"alg":"ES256","typ":"JWT","kid":"ec-1"}'
    seeds = {
        "header-key": "\0Bearer 123456",
        "header-basic": "\0Basic YWxpY2U6cHc=",
        "header-empty": "\0Bearer   ",
        "header-jwt": "\0bearer\t" + b64url(es) + "." + b64url(claims()) + "." + b64url(b"\1" * 64),
        "signed": "\1" + es + "\0" + claims(),
        "signed-at-jwt": "\1" + '{"alg":"ES256","typ":"at+jwt"}' + "\0"
                         + claims(aud=[AUD, "other"], scope=None, scp=["pcf:read"]),
        "signed-expired": "\1" + es + "\0" + claims(exp=1000000000),
        "signed-nbf": "\1" + es + "\0" + claims(nbf=4102444000),
        "signed-iat": "\1" + es + "\0" + claims(iat=4102444000),
        "signed-wrong-iss": "\1" + es + "\0" + claims(iss="https://evil.example"),
        "signed-no-sub": "\1" + es + "\0" + claims(sub=None),
        "signed-scope": "\1" + es + "\0" + claims(scope="pcf:write"),
        "signed-scp-string": "\1" + es + "\0" + claims(scope=None, scp="pcf:read x"),
        "signed-crit": "\1" + '{"alg":"ES256","kid":"ec-1","crit":["b64"]}' + "\0" + claims(),
        "signed-rsa-kid": "\1" + '{"alg":"RS256","kid":"rsa-1"}' + "\0" + claims(),
        "signed-none": "\1" + '{"alg":"none"}' + "\0" + claims(),
        "signed-hs": "\1" + '{"alg":"HS256","kid":"ec-1"}' + "\0" + claims(),
        "signed-dup": "\1" + '{"alg":"ES256","alg":"ES256"}' + "\0" + claims(),
        "parse": "\2" + b64url(es) + "." + b64url(claims()) + "." + b64url(b"\0" * 64),
        "parse-rsa": "\2" + b64url('{"alg":"RS256","kid":"rsa-1"}') + "." + b64url(claims())
                     + "." + b64url(b"\x55" * 256),
        "parse-padded": "\2" + b64url(es) + "==." + b64url(claims()) + ".AA",
        "parse-jku": "\2" + b64url('{"alg":"ES256","jku":"https://evil.example/jwks"}') + "."
                     + b64url(claims()) + ".AA",
    }
    return seeds


# --------------------------------------------------------------------- jwks

# The P-256 base point: a valid public key whose private key is 1.
GX = bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
GY = bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
RSA_N = ("pj-1WLZncXsZ6_ZIc5Uokb380wGCQRUljB2Xy6jswGTtcYzq5LsoaHZIaRWu8GJse41sBW_C4oTUpb4pqHasac5C"
         "wsvZKgYK7c9dhiZEM9BlEhphPqgioXThV0HlEBUBZdEi89WjcN6ny22cYJlEoFCsR89SCAjiNlY71Pdf7VWhu5KPi"
         "FJsNly-koKTD752DTwd_M8TXJ1RzJdbsKVyeZ1NsOxbbwXa-vIOEbEji2mAHILyBPjaP06QOIFjSmLu4mJV17byjK"
         "6TKgESWAtTKoFe_YHZxJO4JfMmEnZprnILHpIG8-5n09MkumpqVGjYKZwVoZ4QgxxX9Ru3NsrySw")


def jwks():
    ec = {"kty": "EC", "crv": "P-256", "kid": "ec-1", "x": b64url(GX), "y": b64url(GY)}
    rsa = {"kty": "RSA", "kid": "rsa-1", "n": RSA_N, "e": "AQAB", "use": "sig", "alg": "RS256"}
    mixed = [rsa, dict(ec, key_ops=["verify"]), dict(rsa, use="enc"), dict(rsa, alg="PS256"),
             {"kty": "oct", "k": "AAAA"}, {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
             {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
             {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
             {"kty": "RSA", "kid": "tiny", "n": "AQAB", "e": "AQAB"},
             {"kty": "EC", "crv": "P-256", "kid": "short", "x": "AQAB", "y": "AQAB"},
             {"use": "sig"}, 7]
    one = b64url(b"\0" * 31 + b"\1")
    return {
        "two": json.dumps({"keys": [rsa, ec]}),
        "mixed": json.dumps({"keys": mixed, "extra": True}),
        "off-curve": json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "bad", "x": one,
                                           "y": one}]}),
        "same-kid": json.dumps({"keys": [ec, dict(ec, alg="ES256")]}),
        "even-exponent": json.dumps({"keys": [dict(rsa, e="AQAA")]}),
        "not-jwks": '{"keys":{}}',
        "too-many": json.dumps({"keys": [ec] * 65}),
    }


# ----------------------------------------------------------------- identity

def identity():
    return {
        "doc": "identities:\n"
               "  - identity: \"key:alice\"               # as pcfmcp_auth_check() writes it\n"
               "    token_file: token\n"
               "  - identity: \"jwt:248289761001\"\n"
               "    email: bob@example.com\n"
               "    password_file: password\n"
               "  - identity: key:ci-bot\n"
               "    token: ci-bot-pcf-token-value\n"
               "    email_file: email\n"
               "    password: inline-password\n",
        "problems": "identities:\n"
                    "  - identity: key:a\n    token: t1\n    token_file: token\n"
                    "  - identity: key:b\n    email: b@example.com\n"
                    "  - token: orphan\n"
                    "  - identity: key:c\n    tokn: typo\n"
                    "  - identity: key:a\n    token: again\n"
                    "  - identity: plain\n    token: t\n"
                    "  - identity: key:d\n    token_file: empty\n"
                    "  - identity: key:e\n    token_file: nul\n"
                    "  - identity: key:f\n    password_file: control\n    email: x@y\n"
                    "  - identity: key:g\n    token_file: missing\n",
        "syntax": "identities:\n  - identity: [\n",
        "not-list": "identities: key:a\n",
        "empty-list": "identities: []\n",
        "anchors": "identities:\n  - &e {identity: key:x, token: \"a\\nb\"}\n  - *e\n"
                   "other: 1\n---\nidentities: []\n",
    }


TARGETS = {
    "apikeys": apikeys,
    "jwt": jwt,
    "jwks": jwks,
    "identity": identity,
}


def main(argv):
    names = argv[1:] or list(TARGETS)
    for n in names:
        if n not in TARGETS:
            sys.exit("unknown target %s (known: %s)" % (n, " ".join(TARGETS)))
        write(n, TARGETS[n]())


if __name__ == "__main__":
    main(sys.argv)
