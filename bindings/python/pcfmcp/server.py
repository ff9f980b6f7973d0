"""Server (include/pcfmcp/server.h): the complete pcf-mcp server built from a
Config, with its engine open to Python tools.

Thread rules (server.h): create, run and close from one thread;
:meth:`Server.stop` and :meth:`Server.reload` may be called from any thread.
"""

import ctypes

from ._handle import Handle
from typing import List

from ._lib import dec, lib, take_string
from .engine import Engine
from .errors import ErrorCode, PcfmcpError, check
from .config import Config
from .log import Logger
from .stdio import run_blocking


def check_config(config: Config) -> List[str]:
    """What :class:`Server` would refuse in ``config``, one message per
    problem (pcfmcp_server_check_config(), `pcf-mcp config check`); an
    empty list when the server would start. Nothing is contacted or created."""
    out = ctypes.c_void_p()
    rc = lib.pcfmcp_server_check_config(config._p(), ctypes.byref(out))
    text = take_string(out.value)
    if rc == ErrorCode.CONFIG:
        return (text or "").splitlines()
    check(rc)
    return []


class Server(Handle):
    """``Server(config)``: builds the server (nothing is contacted yet)."""

    _shutdown_order = 25

    def __init__(self, config: Config) -> None:
        """Builds the server from ``config`` (secrets resolved); raises
        :class:`PcfmcpError` (CONFIG) with every problem on its own line,
        the same text `pcf-mcp config check` prints."""
        self._engine = None
        out = ctypes.c_void_p()
        rc = lib.pcfmcp_server_new(ctypes.byref(out), config._p())
        if rc != 0:
            msg = dec(lib.pcfmcp_server_errmsg(out.value)) if out.value else None
            lib.pcfmcp_server_free(out.value)
            raise PcfmcpError(rc, None, msg if msg and msg != "no error" else None)
        self._adopt(out.value)

    def _release(self, ptr):
        if self._engine is not None:
            self._engine.close()  # closes its sessions; the server frees the engine
        lib.pcfmcp_server_free(ptr)
        if self._engine is not None:
            # The engine died with the server; so may the callables it ran.
            self._engine._drop_callbacks()

    def _errmsg(self):
        return dec(lib.pcfmcp_server_errmsg(self._ptr)) if self._ptr else None

    @property
    def errmsg(self):
        return self._errmsg()

    @property
    def engine(self):
        """The server's :class:`Engine` (owned by the server): add your own tools to it."""
        if self._engine is None:
            self._engine = Engine._borrow(lib.pcfmcp_server_engine(self._p()))
        return self._engine

    @property
    def logger(self):
        """A new reference to the server's :class:`Logger` (e.g. to install a sink)."""
        return Logger._wrap_ref(lib.pcfmcp_server_logger(self._p()))

    def run(self, handle_signals: bool = True) -> ErrorCode:
        """Serves the configured transport until it ends or :meth:`stop`.

        Returns ErrorCode.OK after a clean drain or ErrorCode.TIMEOUT if
        requests had to be cancelled; raises when the transport cannot start.
        """
        ptr = self._p()
        rc = run_blocking(lambda: lib.pcfmcp_server_run(ptr), self.stop, handle_signals)
        if rc in (0, ErrorCode.TIMEOUT):
            return ErrorCode(rc)
        check(rc, self._errmsg)

    def stop(self):
        """Asks :meth:`run` to drain and return (any thread)."""
        ptr = self._ptr
        if ptr:
            lib.pcfmcp_server_stop(ptr)

    def reload(self, config):
        """Applies the run-time changeable settings of ``config``, all or nothing."""
        check(lib.pcfmcp_server_reload(self._p(), config._p()), self._errmsg)
