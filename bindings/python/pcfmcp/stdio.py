"""Stdio transport (include/pcfmcp/stdio.h): serve an Engine on two file
descriptors, newline-delimited JSON-RPC, one session.

Thread rules: :meth:`Stdio.stop` may be called from any thread. ``run()``
executes the C loop on a helper thread and waits for it in the calling
thread, so Ctrl-C and SIGTERM still reach Python and stop the transport
cleanly. Python already ignores SIGPIPE, as the transport requires.
"""

import ctypes
import signal
import threading
from typing import TYPE_CHECKING, Optional

from ._handle import Handle
from ._lib import enc, lib
from .errors import ErrorCode, PcfmcpError, check

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .log import Logger


def run_blocking(fn, stop, handle_signals=True):
    """Runs the blocking C call ``fn()`` on a helper thread while this thread
    waits; SIGINT/SIGTERM (main thread only) call ``stop()``. Returns fn's code."""
    result = {}

    def body():
        result["rc"] = fn()

    t = threading.Thread(target=body, name="pcfmcp-run", daemon=True)
    old = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            old[sig] = signal.signal(sig, lambda *_: stop())
    try:
        t.start()
        while t.is_alive():
            try:
                t.join(0.5)
            except KeyboardInterrupt:
                stop()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return result.get("rc", int(ErrorCode.CALLBACK))


class Stdio(Handle):
    """A stdio transport bound to ``engine``, reading ``in_fd`` and writing
    ``out_fd`` (borrowed, not closed)."""

    _shutdown_order = 20

    def __init__(self, engine, in_fd=0, out_fd=1, identity=None, logger=None):
        self._engine = engine
        self._logger = None
        out = ctypes.c_void_p()
        check(lib.pcfmcp_stdio_new(ctypes.byref(out), engine._p(), int(in_fd), int(out_fd)))
        self._adopt(out.value)
        if identity is not None:
            self.set_identity(identity)
        if logger is not None:
            self.set_logger(logger)

    def _release(self, ptr):
        lib.pcfmcp_stdio_free(ptr)

    def set_max_line(self, nbytes):
        check(lib.pcfmcp_stdio_set_max_line(self._p(), nbytes))

    def set_logger(self, logger):
        check(lib.pcfmcp_stdio_set_logger(self._p(), logger._p()))
        self._logger = logger

    def set_identity(self, identity):
        check(lib.pcfmcp_stdio_set_identity(self._p(), enc(identity)))

    def set_grace(self, grace_ms):
        check(lib.pcfmcp_stdio_set_grace(self._p(), grace_ms))

    def run(self, handle_signals=True):
        """Serves until end of input, an output failure or :meth:`stop`.

        Returns ErrorCode.OK, or ErrorCode.TIMEOUT when requests still running
        at the end of the grace period had to be cancelled; raises
        PcfmcpError(IO) when reading or writing failed.
        """
        ptr = self._p()
        rc = run_blocking(lambda: lib.pcfmcp_stdio_run(ptr), self.stop, handle_signals)
        if rc in (0, ErrorCode.TIMEOUT):
            return ErrorCode(rc)
        raise PcfmcpError(rc)

    def stop(self):
        """Asks a running :meth:`run` to return (any thread)."""
        ptr = self._ptr
        if ptr:
            lib.pcfmcp_stdio_stop(ptr)


def serve_stdio(engine: "Engine", identity: Optional[str] = None,
                logger: Optional["Logger"] = None, handle_signals: bool = True) -> ErrorCode:
    """Serves ``engine`` on this process's stdin/stdout until the client hangs up.

    Returns ErrorCode.OK after a clean end of input, ErrorCode.TIMEOUT when
    requests still running had to be cancelled. SIGINT/SIGTERM stop it.
    ``identity`` names the caller in the engine's context and logs.
    """
    with Stdio(engine, 0, 1, identity=identity, logger=logger) as s:
        return s.run(handle_signals)
