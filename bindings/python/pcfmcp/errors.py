"""The library's error enum and the exceptions the bindings raise."""

import enum

from ._lib import dec, lib


class ErrorCode(enum.IntEnum):
    """``pcfmcp_error_t``: stable values, appended to, never renumbered."""

    OK = 0
    INVALID_ARG = -1
    NOMEM = -2
    IO = -3
    TIMEOUT = -4
    AUTH = -5
    PROTOCOL = -6
    PCF = -7
    LIMIT = -8
    CALLBACK = -9
    TLS = -10
    NOT_FOUND = -11
    STATE = -12
    CONNECT = -13
    HTTP = -14
    BAD_RESPONSE = -15
    CANCELLED = -16
    UNSUPPORTED = -17
    DENIED = -18
    RATE_LIMITED = -19
    CONFIG = -20
    UNAVAILABLE = -21
    INPUT_REQUIRED = -22


def strerror(code):
    """pcfmcp_strerror(): a short English text for ``code``."""
    return dec(lib.pcfmcp_strerror(int(code)))


def error_name(code):
    """pcfmcp_error_name(): the symbolic name ("PCFMCP_ERR_TIMEOUT")."""
    return dec(lib.pcfmcp_error_name(int(code)))


def error_last():
    """pcfmcp_error_last(): why this thread's last failed call failed."""
    return dec(lib.pcfmcp_error_last())


class PcfmcpError(Exception):
    """A libpcfmcp call failed.

    ``code`` is the ``pcfmcp_error_t`` value (an :class:`ErrorCode` when the
    value is known), ``name`` its symbolic name, ``message`` what the handle's
    ``*_errmsg()`` said (or pcfmcp_strerror() when the call has no handle).
    """

    def __init__(self, code, name=None, message=None):
        try:
            code = ErrorCode(code)
        except ValueError:
            code = int(code)
        self.code = code
        self.name = name if name is not None else error_name(code)
        self.message = message if message is not None else strerror(code)
        super().__init__(code, self.name, self.message)

    def __str__(self):
        return "%s: %s" % (self.name, self.message)


class PcfError(PcfmcpError):
    """A PCF request failed (see pcfmcp_pcf_result_*()).

    Besides code/name/message: ``http_status`` (0 when no answer came),
    ``pcf_errors`` (PCF's own messages, a list of str, empty when it sent
    none), ``attempts`` (HTTP attempts made) and ``json`` (PCF's body, parsed,
    or None).
    """

    def __init__(self, code, message, http_status=0, pcf_errors=None, attempts=0, json=None):
        super().__init__(code, None, message)
        self.http_status = http_status
        self.pcf_errors = list(pcf_errors or [])
        self.attempts = attempts
        self.json = json

    def __str__(self):
        s = "%s: %s" % (self.name, self.message)
        if self.http_status:
            s += " (HTTP %d)" % self.http_status
        return s


class ToolError(Exception):
    """Raise from a tool callback to answer with a tool error whose text the model reads.

    Any other exception is a tool error too; this one just says the text is
    meant for the model (no exception type prefix).
    """


def check(code, errmsg=None):
    """Raises PcfmcpError unless ``code`` is PCFMCP_OK.

    ``errmsg`` is a function returning the handle's ``*_errmsg()`` text; it is
    called only on failure.
    """
    if code == 0:
        return
    message = None
    if errmsg is not None:
        try:
            message = errmsg()
        except Exception:  # the message is a nicety; the code is the error
            message = None
    if not message or message == "no error":
        message = strerror(code)
    raise PcfmcpError(code, None, message)
