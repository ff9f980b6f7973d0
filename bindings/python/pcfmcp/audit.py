"""Audit (include/pcfmcp/audit.h): the append-only trail of tool calls and
refusals, and the keyed digest its records give the arguments.

Thread rules: records may be written from any thread; the setters may be
called while they are.
"""

import ctypes

from ._handle import Handle
from ._lib import dec, enc, lib, take_string
from .errors import check


def args_hash(arguments_json):
    """SHA-256 of the canonical form of a JSON text (not what records carry:
    they carry :meth:`Audit.args_digest`)."""
    b = enc(arguments_json, "arguments")
    out = ctypes.c_void_p()
    check(lib.pcfmcp_audit_args_hash(b, len(b), ctypes.byref(out)))
    return take_string(out.value)


class Audit(Handle):
    """An audit trail, writing to stderr until :meth:`open` names a file."""

    _shutdown_order = 70

    def __init__(self):
        out = ctypes.c_void_p()
        check(lib.pcfmcp_audit_new(ctypes.byref(out)))
        self._adopt(out.value)

    def _release(self, ptr):
        lib.pcfmcp_audit_free(ptr)

    def _errmsg(self):
        return dec(lib.pcfmcp_audit_errmsg(self._ptr)) if self._ptr else None

    def open(self, path):
        """Appends records to ``path`` (created 0600); None or "" means stderr."""
        check(lib.pcfmcp_audit_open(self._p(), enc(path)), self._errmsg)

    def set_args_key(self, key):
        """The key of the records' ``args_hmac`` (str or bytes, 16 to 4096 bytes)."""
        b = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        check(lib.pcfmcp_audit_set_args_key(self._p(), b, len(b)), self._errmsg)

    def args_digest(self, arguments_json):
        """The ``args_hmac`` a record gives these arguments (64 hex digits)."""
        b = enc(arguments_json, "arguments")
        out = ctypes.c_void_p()
        check(lib.pcfmcp_audit_args_digest(self._p(), b, len(b), ctypes.byref(out)), self._errmsg)
        return take_string(out.value)

    def record(self, event, outcome, identity=None, tool=None, arguments_json=None,
               request_id=None, duration_seconds=-1.0, detail=None):
        """Writes one record (the PCF user, session and trace id left out)."""
        check(
            lib.pcfmcp_audit_record(self._p(), enc(event), enc(identity), None, None,
                                    enc(request_id), None, enc(tool), enc(arguments_json),
                                    enc(outcome), float(duration_seconds), enc(detail)),
            self._errmsg,
        )

    @property
    def written(self):
        """Records written since creation."""
        return lib.pcfmcp_audit_written(self._p())
