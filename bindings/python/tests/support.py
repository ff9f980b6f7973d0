"""Shared set-up of the binding tests: where the source tree is, the fake PCF."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", "..", ".."))
BUILDDIR = os.environ.get("top_builddir") or SRCDIR
PYDIR = os.path.join(SRCDIR, "bindings", "python")

if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)
sys.path.insert(0, os.path.join(SRCDIR, "tests", "contract"))

import fakeproc  # noqa: E402  (tests/contract: starts tests/fakepcf/fake_pcf.py)

TOKEN = "11111111-2222-4333-8444-555555555555"
EMAIL = "pcf-tester@example.com"
PASSWORD = "pcf-tester-pass"


def fake(*args):
    """A fake PCF seeded `minimal` with TOKEN, unless args say otherwise."""
    if not any(a.startswith("--seed") for a in args):
        args = ("--seed", "minimal") + tuple(args)
    return fakeproc.Fake("--token", TOKEN, *args)


def call_env():
    """Environment for child Python processes using the bindings."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PYDIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env

# Handler exceptions are logged to the "pcfmcp" logger; the tests raise many
# on purpose, so keep them out of the test output.
import logging  # noqa: E402

logging.getLogger("pcfmcp").addHandler(logging.NullHandler())
