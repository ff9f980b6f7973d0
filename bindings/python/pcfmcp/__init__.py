"""Python bindings for libpcfmcp, the MCP server library behind pcf-mcp.

Pure ctypes over libpcfmcp.so.0, found through ``PCFMCP_LIBRARY`` (a full
path), then the system's library search, then a build tree. Every object
frees its C handle on ``close()``, at the end of a ``with`` block, when it is
garbage-collected, or at interpreter exit, whichever comes first.

Quick start, an MCP server with one tool over stdio::

    import pcfmcp

    engine = pcfmcp.Engine("demo", "1.0", threads=2)

    @engine.tool(input_schema={"type": "object",
                               "properties": {"name": {"type": "string"}},
                               "required": ["name"]})
    def greet(ctx, args):
        "Greets someone."
        return "Hello, %s!" % args["name"]

    pcfmcp.serve_stdio(engine)
"""

from ._lib import path as library_path
from ._lib import lib as _clib
from ._lib import dec as _dec
from . import args
from .audit import Audit, args_hash
from .auth import Auth, AuthResult, Credentials, IdentityMap, Verdict, generate_key, hash_key
from .config import Config, KeyInfo, KeyType, Source, config_keys, key_count, key_info, suggest_flag
from .engine import (
    PROTOCOL_LATEST_LEGACY,
    PROTOCOL_STATELESS,
    Audio,
    Context,
    EmbeddedBlob,
    EmbeddedText,
    Emit,
    Engine,
    Handled,
    Image,
    Outcome,
    ResourceLink,
    Session,
    Text,
    ToolResult,
)
from .errors import (ErrorCode, PcfError, PcfmcpError, ToolError, error_last, error_name,
                     strerror)
from .log import LogFormat, Logger, LogLevel
from .pcf import Pcf, RenderedReport, global_cleanup, global_init, operations
from .server import Server, check_config
from .stdio import Stdio, serve_stdio
from .tools import Toolset, known_tools


def version():
    """The loaded library's version, e.g. "0.1.0" (pcfmcp_version())."""
    return _dec(_clib.pcfmcp_version())


def version_num():
    """The loaded library's version as 0xMMmmpp (pcfmcp_version_num())."""
    return _clib.pcfmcp_version_num()


__version__ = version()

__all__ = [
    "Audio", "Audit", "Auth", "args", "AuthResult", "Config", "Context", "Credentials", "EmbeddedBlob",
    "EmbeddedText", "Emit", "Engine", "ErrorCode", "Handled", "IdentityMap", "Image",
    "KeyInfo", "KeyType", "LogFormat", "LogLevel", "Logger", "Outcome", "PROTOCOL_LATEST_LEGACY",
    "PROTOCOL_STATELESS", "Pcf", "PcfError", "PcfmcpError", "RenderedReport", "ResourceLink",
    "Server", "Session", "check_config", "Source", "Stdio", "Text", "ToolError", "ToolResult", "Toolset",
    "Verdict", "args_hash", "config_keys", "error_last", "error_name", "generate_key",
    "global_cleanup", "global_init", "hash_key", "key_count", "key_info", "suggest_flag",
    "known_tools", "library_path", "operations", "serve_stdio", "strerror", "version",
    "version_num",
]
