"""Argument accessors (include/pcfmcp/args.h): one member of a tool's JSON
arguments by name, as C hosts read them.

Python tools receive their arguments as a dict already; these wrappers
exist for code that holds the JSON text (a raw ``tools/call`` body, say) and
for parity with the C API. Each raises :class:`KeyError` when the member is
absent or null and :class:`PcfmcpError` (INVALID_ARG) when it has another
type or the text is not a JSON object.
"""

import ctypes
import json
from typing import Any

from ._lib import enc, lib, take_string
from .errors import ErrorCode, check

__all__ = ["get_bool", "get_int", "get_json", "get_number", "get_string"]


def _call(fn, args_json: str, name: str, out) -> None:
    raw = enc(args_json, "args_json")
    rc = fn(raw, len(raw), enc(name, "name"), ctypes.byref(out))
    if rc == ErrorCode.NOT_FOUND:
        raise KeyError(name)
    check(rc)


def get_string(args_json: str, name: str) -> str:
    """The string member ``name`` (pcfmcp_args_get_string())."""
    out = ctypes.c_void_p()
    _call(lib.pcfmcp_args_get_string, args_json, name, out)
    return take_string(out.value)


def get_int(args_json: str, name: str) -> int:
    """The integer member ``name`` (pcfmcp_args_get_int())."""
    out = ctypes.c_longlong()
    _call(lib.pcfmcp_args_get_int, args_json, name, out)
    return out.value


def get_number(args_json: str, name: str) -> float:
    """The number member ``name`` (pcfmcp_args_get_number())."""
    out = ctypes.c_double()
    _call(lib.pcfmcp_args_get_number, args_json, name, out)
    return out.value


def get_bool(args_json: str, name: str) -> bool:
    """The boolean member ``name`` (pcfmcp_args_get_bool())."""
    out = ctypes.c_int()
    _call(lib.pcfmcp_args_get_bool, args_json, name, out)
    return bool(out.value)


def get_json(args_json: str, name: str) -> Any:
    """Any member ``name``, decoded (pcfmcp_args_get_json())."""
    out = ctypes.c_void_p()
    _call(lib.pcfmcp_args_get_json, args_json, name, out)
    return json.loads(take_string(out.value))
