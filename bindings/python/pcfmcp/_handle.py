"""Ownership plumbing shared by every wrapper: closeable handles and the
callback registry.

Callbacks: the C library gets one module-level ctypes trampoline per callback
type (alive forever) and, as ``userdata``, a small integer naming the Python
callable in a registry. So a C thread that calls back late (a worker that
finishes after the Python object is gone) finds no entry and does nothing,
instead of jumping into freed memory.
"""

import atexit
import itertools
import threading
import weakref

from .errors import ErrorCode, PcfmcpError


class Registry:
    """Thread-safe map from small integers (C ``userdata``) to Python objects."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._objs = {}

    def add(self, obj):
        with self._lock:
            key = next(self._ids)
            self._objs[key] = obj
            return key

    def get(self, key):
        if key is None:
            return None
        with self._lock:
            return self._objs.get(key)

    def remove(self, key):
        with self._lock:
            return self._objs.pop(key, None)

    def __len__(self):
        with self._lock:
            return len(self._objs)


callbacks = Registry()

_live = weakref.WeakSet()
_live_lock = threading.Lock()


class Handle:
    """Owns one C handle. ``close()`` frees it; so do ``with`` and, as a
    fallback, garbage collection and interpreter exit.

    Subclasses set ``_shutdown_order`` (lower closes first at exit: sessions
    before engines, engines before what engines borrow) and implement
    ``_release(ptr)``.
    """

    _shutdown_order = 50
    _ptr = None

    def _adopt(self, ptr):
        self._ptr = ptr
        with _live_lock:
            _live.add(self)

    @property
    def closed(self):
        return not self._ptr

    def _p(self):
        """The C pointer; raises if the object was closed."""
        ptr = self._ptr
        if not ptr:
            raise PcfmcpError(
                ErrorCode.STATE, None, "%s is closed" % type(self).__name__
            )
        return ptr

    def close(self):
        """Frees the C object now. Calling it again does nothing."""
        ptr = self._ptr
        if not ptr:
            return
        self._ptr = None
        with _live_lock:
            _live.discard(self)
        self._release(ptr)

    def _release(self, ptr):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


@atexit.register
def _close_all():
    # Close whatever the program left open while Python still runs: C worker
    # threads may call back into Python while an engine drains, which must
    # not happen during interpreter finalisation.
    with _live_lock:
        objs = sorted(list(_live), key=lambda o: o._shutdown_order)
    for o in objs:
        try:
            o.close()
        except Exception:
            pass
