"""Config (include/pcfmcp/config.h): the layered configuration and its key table.

Thread rules (config.h): a Config is used by one thread at a time; the
key-table functions (:func:`config_keys`, :func:`key_info`) are always safe.
"""

import collections
import ctypes
import enum

from ._handle import Handle
from ._lib import dec, enc, lib, take_string
from .errors import ErrorCode, PcfmcpError, check


class Source(enum.IntEnum):
    """Where a value came from, in increasing strength."""

    DEFAULT = 0
    FILE = 1
    ENV = 2
    FLAG = 3
    API = 4


class KeyType(enum.IntEnum):
    STRING = 0
    SECRET = 1
    INT = 2
    BOOL = 3
    DOUBLE = 4
    ENUM = 5
    LIST = 6
    PATH = 7
    DURATION = 8


KeyInfo = collections.namedtuple(
    "KeyInfo", "name type default env flag doc choices reloadable"
)
KeyInfo.__doc__ = """One key of the configuration table. ``flag`` is None when the key
has none (secrets); ``choices`` is a list for ENUM keys, else None."""


def key_count():
    """Number of keys in the table."""
    return lib.pcfmcp_config_key_count()


def suggest_flag(name, extra=()):
    """The flag (without dashes) a mistyped ``name`` most likely meant, among
    every key's flag and ``extra``; None when none is within a few edits."""
    raw = enc(name)
    own = [enc(e) for e in extra]
    arr = (ctypes.c_char_p * max(len(own), 1))(*own)
    got = lib.pcfmcp_config_suggest_flag(raw, len(raw), arr if own else None, len(own))
    return dec(got) if got is not None else None


def key_info(index):
    """Describes key number ``index`` (0-based) as a :class:`KeyInfo`."""
    if not 0 <= index < key_count():
        raise IndexError("config key index out of range")
    name, default, env, flag, doc = (ctypes.c_char_p() for _ in range(5))
    ktype = ctypes.c_int()
    check(
        lib.pcfmcp_config_key_info(
            index,
            ctypes.byref(name),
            ctypes.byref(ktype),
            ctypes.byref(default),
            ctypes.byref(env),
            ctypes.byref(flag),
            ctypes.byref(doc),
        )
    )
    choices = dec(lib.pcfmcp_config_key_choices(name.value))
    return KeyInfo(
        dec(name.value),
        KeyType(ktype.value),
        dec(default.value),
        dec(env.value),
        dec(flag.value),
        dec(doc.value),
        choices.split("|") if choices else None,
        bool(lib.pcfmcp_config_key_reloadable(name.value)),
    )


def config_keys():
    """Iterates over the whole key table as :class:`KeyInfo` tuples."""
    for i in range(key_count()):
        yield key_info(i)


class Config(Handle):
    """A pcfmcp_config_t holding every default until you set something.

    ``cfg["pcf.url"]`` reads a value as text, ``cfg["pcf.url"] = "..."`` sets
    it as the embedding program (Source.API).
    """

    _shutdown_order = 80

    def __init__(self, _ptr=None):
        if _ptr is None:
            out = ctypes.c_void_p()
            check(lib.pcfmcp_config_new(ctypes.byref(out)))
            _ptr = out.value
        self._adopt(_ptr)

    def _release(self, ptr):
        lib.pcfmcp_config_free(ptr)

    def _errmsg(self):
        return dec(lib.pcfmcp_config_errmsg(self._ptr))

    @property
    def errmsg(self):
        """Every error of the last failing call, one per line."""
        return self._errmsg()

    def copy(self):
        """A deep copy."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_config_copy(ctypes.byref(out), self._p()), self._errmsg)
        return Config(out.value)

    def set(self, key: str, value: object, source: "Source" = Source.API) -> None:
        """Sets ``key`` from text (bool, int and float values are converted), as if
        it came from ``source``. A weaker source than the current one is ignored."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = ",".join(value)
        check(
            lib.pcfmcp_config_set(self._p(), enc(key, "key"), enc(value, "value"), int(source)),
            self._errmsg,
        )

    def unset(self, key):
        """Restores the default of ``key``."""
        check(lib.pcfmcp_config_unset(self._p(), enc(key, "key")), self._errmsg)

    def load_file(self, path: str) -> None:
        """Loads a YAML file; on errors raises with every problem (file:line: key: why)."""
        check(lib.pcfmcp_config_load_file(self._p(), enc(path, "path")), self._errmsg)

    def load_env(self) -> None:
        """Loads every PCF_MCP_* variable of the process environment."""
        check(lib.pcfmcp_config_load_env(self._p()), self._errmsg)

    def resolve_secrets(self) -> None:
        """Reads each secret named by a ``*_file`` key."""
        check(lib.pcfmcp_config_resolve_secrets(self._p()), self._errmsg)

    def get(self, key: str) -> str:
        """The value as text ("" when unset). Unknown key: PcfmcpError NOT_FOUND."""
        v = lib.pcfmcp_config_get(self._p(), enc(key, "key"))
        if v is None:
            raise PcfmcpError(ErrorCode.NOT_FOUND, None, "unknown configuration key %r" % key)
        return dec(v)

    def _known(self, key):
        if lib.pcfmcp_config_get(self._p(), enc(key, "key")) is None:
            raise PcfmcpError(ErrorCode.NOT_FOUND, None, "unknown configuration key %r" % key)
        return enc(key)

    def get_int(self, key):
        """An INT, DURATION (milliseconds) or BOOL value."""
        return lib.pcfmcp_config_get_int(self._p(), self._known(key))

    def get_double(self, key):
        return lib.pcfmcp_config_get_double(self._p(), self._known(key))

    def get_bool(self, key):
        return bool(lib.pcfmcp_config_get_bool(self._p(), self._known(key)))

    def source(self, key):
        """Where the current value of ``key`` came from (a :class:`Source`)."""
        return Source(lib.pcfmcp_config_source(self._p(), self._known(key)))

    def check(self):
        """Checks the rules spanning several keys; raises with every problem.
        Returns the warnings (a list of lines, e.g. secrets every user can read)."""
        check(lib.pcfmcp_config_check(self._p()), self._errmsg)
        w = dec(lib.pcfmcp_config_warnings(self._p()))
        return w.split("\n") if w else []

    def dump(self):
        """The effective configuration as YAML, secrets (also those in URLs) redacted."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_config_dump(self._p(), ctypes.byref(out)), self._errmsg)
        return take_string(out.value)

    def __getitem__(self, key):
        return self.get(key)

    def __setitem__(self, key, value):
        self.set(key, value)

    def __delitem__(self, key):
        self.unset(key)
