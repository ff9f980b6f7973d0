"""Logger (include/pcfmcp/log.h): structured, redacting, with a Python sink.

Thread rules (log.h): a logger may be used from any number of threads at
once. The sink runs on whichever thread logged (often a library worker
thread), one line at a time; ctypes takes the GIL for it.
"""

import ctypes
import enum
import json
import logging

from . import _lib
from ._handle import Handle, callbacks
from ._lib import dec, enc, lib, take_string
from .errors import check


class LogLevel(enum.IntEnum):
    DEBUG = 0
    INFO = 1
    WARN = 2
    ERROR = 3
    OFF = 4

    @classmethod
    def parse(cls, text):
        """pcfmcp_log_level_parse(): "debug", "info", "warn"/"warning", "error", "off"."""
        out = ctypes.c_int()
        check(lib.pcfmcp_log_level_parse(enc(text, "level"), ctypes.byref(out)))
        return cls(out.value)

    @property
    def label(self):
        """pcfmcp_log_level_name(): "info"."""
        return dec(lib.pcfmcp_log_level_name(int(self)))


class LogFormat(enum.IntEnum):
    JSON = 0
    TEXT = 1


_PY_LEVELS = {
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.INFO: logging.INFO,
    LogLevel.WARN: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
}


def _sink(level, line, length, userdata):
    fn = callbacks.get(userdata)
    if fn is None:
        return
    try:
        fn(LogLevel(level), ctypes.string_at(line, length).decode("utf-8", "replace"))
    except BaseException:
        # Nothing may unwind into C; a sink that fails loses its line.
        pass


_SINK = _lib.LOG_SINK_CB(_sink)
_NO_SINK = ctypes.cast(None, _lib.LOG_SINK_CB)


class Logger(Handle):
    """A reference to a pcfmcp_logger_t.

    ``Logger()`` creates one (level INFO, JSON, stderr). Objects that take
    their own reference (Engine, Pcf, Stdio, Toolset, Auth) keep the Python
    Logger alive, so a sink stays callable for as long as anything logs
    through it.
    """

    _shutdown_order = 90

    def __init__(self, _ptr=None):
        self._sink_keys = []
        if _ptr is None:
            out = ctypes.c_void_p()
            check(lib.pcfmcp_logger_new(ctypes.byref(out)))
            _ptr = out.value
        self._adopt(_ptr)

    @classmethod
    def _wrap_ref(cls, ptr):
        """A new Python Logger holding a new reference to ``ptr``."""
        return cls(lib.pcfmcp_logger_ref(ptr))

    def _release(self, ptr):
        lib.pcfmcp_logger_unref(ptr)

    def __del__(self):
        super().__del__()
        # Only now can no C holder reach the sink through this object.
        for key in self._sink_keys:
            callbacks.remove(key)
        self._sink_keys = []

    @property
    def level(self):
        return LogLevel(lib.pcfmcp_logger_get_level(self._p()))

    @level.setter
    def level(self, level):
        if isinstance(level, str):
            level = LogLevel.parse(level)
        check(lib.pcfmcp_logger_set_level(self._p(), int(level)))

    def enabled(self, level):
        """True when a line at ``level`` would be written."""
        return bool(lib.pcfmcp_logger_enabled(self._p(), int(level)))

    def set_format(self, fmt):
        """LogFormat.JSON (default) or LogFormat.TEXT; "json"/"text" also work."""
        if isinstance(fmt, str):
            fmt = LogFormat[fmt.upper()]
        check(lib.pcfmcp_logger_set_format(self._p(), int(fmt)))

    def set_sink(self, fn):
        """Sends every finished, redacted line to ``fn(level, line)`` instead of
        stderr; None goes back to stderr. Exceptions in ``fn`` are swallowed."""
        ptr = self._p()
        if fn is None:
            check(lib.pcfmcp_logger_set_sink(ptr, _NO_SINK, None))
            return
        key = callbacks.add(fn)
        rc = lib.pcfmcp_logger_set_sink(ptr, _SINK, key)
        if rc != 0:
            callbacks.remove(key)
            check(rc)
        # The previous callable stays registered: a line being formatted on
        # another thread may still be on its way to it.
        self._sink_keys.append(key)

    def to_logging(self, pylogger=None):
        """Forwards lines to a :mod:`logging` logger (default ``logging.getLogger("pcfmcp")``).

        JSON lines are parsed so the record's message is the line's ``msg``
        and the whole object is in ``record.pcfmcp``.
        """
        target = pylogger or logging.getLogger("pcfmcp")

        def forward(level, line):
            extra = None
            msg = line
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                    msg = obj.get("msg", line)
                    extra = {"pcfmcp": obj}
                except ValueError:
                    pass
            target.log(_PY_LEVELS.get(level, logging.INFO), "%s", msg, extra=extra)

        self.set_sink(forward)
        return forward

    def add_secret(self, secret):
        """Registers a string (4 bytes or more) that must never appear in a line."""
        check(lib.pcfmcp_logger_add_secret(self._p(), enc(secret, "secret")))

    def clear_secrets(self):
        lib.pcfmcp_logger_clear_secrets(self._p())

    def log(self, level, message, component=None, fields=None):
        """Writes one line; ``fields`` is a dict added to it (JSON-encoded)."""
        fields_json = None if fields is None else json.dumps(fields)
        check(
            lib.pcfmcp_logger_log(
                self._p(), int(level), enc(component), enc(message, "message"), enc(fields_json)
            )
        )

    def debug(self, message, component=None, fields=None):
        self.log(LogLevel.DEBUG, message, component, fields)

    def info(self, message, component=None, fields=None):
        self.log(LogLevel.INFO, message, component, fields)

    def warn(self, message, component=None, fields=None):
        self.log(LogLevel.WARN, message, component, fields)

    def error(self, message, component=None, fields=None):
        self.log(LogLevel.ERROR, message, component, fields)

    def redact(self, text):
        """The text with this logger's secrets and credential-looking values removed."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_logger_redact(self._p(), enc(text, "text"), ctypes.byref(out)))
        return take_string(out.value)
