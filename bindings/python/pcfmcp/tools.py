"""Toolset (include/pcfmcp/tools.h): pcf-mcp's PCF tools, resources, prompts
and completions, registered on an Engine.

Thread rules (tools.h): configure and register from one thread. Once
registered, the engine may run any number of calls at once; the toolset must
not change or be freed before the engine (the Engine keeps this object alive,
and :meth:`Toolset.close` refuses while the engine lives).
"""

import ctypes

from . import _lib
from ._handle import Handle, callbacks
from ._lib import dec, enc, lib, take_string
from .errors import ErrorCode, PcfmcpError, check


def known_tools():
    """Every tool name the toolset knows, whether or not gates register it."""
    out = ctypes.c_void_p()
    check(lib.pcfmcp_toolset_known_tools(ctypes.byref(out)))
    text = take_string(out.value)
    return [t for t in text.split(",") if t] if text else []


def _resolve_tramp(identity, out_pcf, why, why_size, ud):
    try:
        entry = callbacks.get(ud)
        if entry is None:
            return int(ErrorCode.UNAVAILABLE)
        fn, keep = entry
        try:
            pcf = fn(dec(identity))
        except Exception as e:
            text = (str(e) or type(e).__name__).encode("utf-8", "replace").replace(b"\0", b" ")
            text = text[: max(why_size - 1, 0)]
            ctypes.memmove(why, text + b"\0", len(text) + 1)
            return int(e.code) if isinstance(e, PcfmcpError) and e.code != 0 else int(ErrorCode.DENIED)
        # The C side borrows the client until the call ends: keep it alive
        # for the toolset's lifetime.
        keep[id(pcf)] = pcf
        out_pcf[0] = pcf._p()
        return 0
    except BaseException:
        return int(ErrorCode.CALLBACK)


_RESOLVE = _lib.RESOLVE_CB(_resolve_tramp)


class Toolset(Handle):
    """``Toolset()`` with the ``tools.*`` defaults, or :meth:`from_config`."""

    _shutdown_order = 40

    def __init__(self, _ptr=None):
        self._pcf = None
        self._logger = None
        self._keys = []
        self._resolved = {}
        self._engine = None
        if _ptr is None:
            out = ctypes.c_void_p()
            check(lib.pcfmcp_toolset_new(ctypes.byref(out)))
            _ptr = out.value
        self._adopt(_ptr)

    @classmethod
    def from_config(cls, config):
        """A toolset from the ``tools.*`` keys and ``reports.output_dir`` of ``config``."""
        out = ctypes.c_void_p()
        rc = lib.pcfmcp_toolset_new_from_config(ctypes.byref(out), config._p())
        if rc != 0:
            msg = dec(lib.pcfmcp_toolset_errmsg(out.value)) if out.value else None
            lib.pcfmcp_toolset_free(out.value)
            raise PcfmcpError(rc, None, msg)
        return cls(out.value)

    def close(self):
        if self._engine is not None and not self._engine.closed:
            raise PcfmcpError(
                ErrorCode.STATE, None, "close the engine this toolset is registered on first"
            )
        super().close()

    def _release(self, ptr):
        lib.pcfmcp_toolset_free(ptr)
        for key in self._keys:
            callbacks.remove(key)
        self._keys = []
        self._resolved = {}

    def __del__(self):
        # The engine holds a reference to us while registered, so by the time
        # we are collected it is gone too.
        self._engine = None
        super().__del__()

    def _errmsg(self):
        return dec(lib.pcfmcp_toolset_errmsg(self._ptr)) if self._ptr else None

    @property
    def errmsg(self):
        return self._errmsg()

    def _set(self, fn, *args):
        check(fn(self._p(), *args), self._errmsg)

    def set_pcf(self, pcf):
        """Uses ``pcf`` (a :class:`~pcfmcp.pcf.Pcf`) for every caller; None for none."""
        self._set(lib.pcfmcp_toolset_set_pcf, pcf._p() if pcf else None)
        self._pcf = pcf

    def set_resolver(self, fn):
        """Picks the client per caller: ``fn(identity) -> Pcf``; raise to refuse
        (the text reaches the model). Returned clients are kept alive by the
        toolset, so return long-lived ones. None restores the single client."""
        if fn is None:
            self._set(lib.pcfmcp_toolset_set_resolver, ctypes.cast(None, _lib.RESOLVE_CB), None)
            return
        key = callbacks.add((fn, self._resolved))
        rc = lib.pcfmcp_toolset_set_resolver(self._p(), _RESOLVE, key)
        if rc != 0:
            callbacks.remove(key)
            check(rc, self._errmsg)
        self._keys.append(key)

    def set_logger(self, logger):
        self._set(lib.pcfmcp_toolset_set_logger, logger._p() if logger else None)
        self._logger = logger

    def set_read_only(self, on=True):
        self._set(lib.pcfmcp_toolset_set_read_only, int(bool(on)))

    def set_enable_destructive(self, on=True):
        self._set(lib.pcfmcp_toolset_set_enable_destructive, int(bool(on)))

    @staticmethod
    def _csv(v):
        if v is None or isinstance(v, str):
            return enc(v)
        return enc(",".join(v))

    def set_toolsets(self, groups):
        """Toolsets: "default", "all" or names (a comma-separated str or a list)."""
        self._set(lib.pcfmcp_toolset_set_toolsets, self._csv(groups))

    def set_dynamic(self, on=True):
        """Dynamic mode: list_toolsets / enable_toolset switch toolsets on at run time."""
        self._set(lib.pcfmcp_toolset_set_dynamic, int(bool(on)))

    def set_allow(self, names):
        self._set(lib.pcfmcp_toolset_set_allow, self._csv(names))

    def set_deny(self, names):
        self._set(lib.pcfmcp_toolset_set_deny, self._csv(names))

    def set_projects(self, projects):
        self._set(lib.pcfmcp_toolset_set_projects, self._csv(projects))

    def set_default_project(self, project):
        self._set(lib.pcfmcp_toolset_set_default_project, enc(project))

    def set_max_response_bytes(self, nbytes):
        self._set(lib.pcfmcp_toolset_set_max_response_bytes, int(nbytes))

    def set_max_field_chars(self, chars):
        self._set(lib.pcfmcp_toolset_set_max_field_chars, int(chars))

    def set_report_dir(self, directory):
        self._set(lib.pcfmcp_toolset_set_report_dir, enc(directory))

    def set_imports(self, input_dir=None, max_bytes=0, pcf_issue_inserts=None):
        """import_scan's settings: the directory its path argument reads
        from, the largest file (0 = 16 MiB), and "auto", "broken" or
        "working" for PCF's importer issue calls."""
        self._set(lib.pcfmcp_toolset_set_imports, enc(input_dir), int(max_bytes),
                  enc(pcf_issue_inserts))

    def register(self, engine):
        """Registers the enabled tools, resources, prompts and completions on ``engine``."""
        self._set(lib.pcfmcp_toolset_register, engine._p())
        self._engine = engine
        engine._refs.append(self)
