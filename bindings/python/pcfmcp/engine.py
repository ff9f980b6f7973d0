"""Engine, Session and Context (include/pcfmcp/engine.h): an MCP server whose
tools, resources, prompts and completions are Python callables.

Thread rules (engine.h):

* An Engine may be used from any number of threads once set up;
  registering while serving is allowed (clients get ``list_changed``).
* Handlers run on the thread that called :meth:`Session.handle` or, with
  ``threads`` > 0, on the engine's worker threads, several at once: they
  must be thread-safe. ctypes takes the GIL for every call into Python, so
  Python handlers run one at a time unless they release it (I/O, sleeping,
  calling back into libpcfmcp).
* A Context is valid only while its handler runs.
* :meth:`Context.request` (sampling, elicitation, roots) blocks its handler
  until the client answers, so it needs worker threads: the answer arrives
  through another :meth:`Session.handle` call.
* Handlers never let an exception reach C: every exception becomes a tool
  error (tools) or a JSON-RPC error (the rest).
"""

import base64
import ctypes
import dataclasses
import enum
import json
import logging
import queue
import time
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import _lib
from ._handle import Handle, callbacks
from ._lib import dec, enc, lib, ptr_text, take_string
from .errors import ErrorCode, PcfmcpError, ToolError, check

_log = logging.getLogger("pcfmcp")

#: What a tool function may return: text, structuredContent, content blocks,
#: a ToolResult, or None.
ToolReturn = Union[str, Dict[str, Any], List[Any], "ToolResult", None]
#: A tool: ``fn(ctx, arguments) -> ToolReturn``.
ToolFunction = Callable[["Context", Dict[str, Any]], Any]

PROTOCOL_LATEST_LEGACY = "2025-11-25"
PROTOCOL_STATELESS = "2026-07-28"


class Emit(enum.IntFlag):
    """Flags of every emitted message."""

    FINAL = 1
    NOTIFICATION = 2
    REQUEST = 4
    ERROR = 8


class Handled(enum.IntEnum):
    NOTHING = 0
    DONE = 1
    PENDING = 2


class Outcome(enum.IntEnum):
    OK = 0
    TOOL_ERROR = 1
    ERROR = 2
    CANCELLED = 3
    REFUSED = 4


SESSION_STATELESS = 1


# ------------------------------------------------------------------ content helpers
@dataclasses.dataclass
class Text:
    """A ``text`` content block."""

    text: str


@dataclasses.dataclass
class Image:
    """An ``image`` content block (the engine base64-encodes ``data``)."""

    data: bytes
    mime_type: str = "image/png"


@dataclasses.dataclass
class Audio:
    """An ``audio`` content block."""

    data: bytes
    mime_type: str = "audio/wav"


@dataclasses.dataclass
class EmbeddedText:
    """An embedded text ``resource`` content block."""

    uri: str
    text: str
    mime_type: str = None


@dataclasses.dataclass
class EmbeddedBlob:
    """An embedded binary ``resource`` content block."""

    uri: str
    data: bytes
    mime_type: str = None


@dataclasses.dataclass
class ResourceLink:
    """A ``resource_link`` content block: ``link`` holds ``uri``, ``name``, ..."""

    link: dict


@dataclasses.dataclass
class ToolResult:
    """Everything a tool result can carry.

    ``content``: a list of str / dict (content JSON) / content helper objects;
    ``structured``: the ``structuredContent`` dict; ``meta``: ``_meta``;
    ``error``: when set, the result is a tool error with this text.
    """

    content: list = dataclasses.field(default_factory=list)
    structured: dict = None
    meta: dict = None
    error: str = None


def _b(text):
    b = text.encode("utf-8")
    return b, len(b)


def _add_content(res, item):
    if isinstance(item, str):
        b, n = _b(item)
        check(lib.pcfmcp_result_add_text(res, b, n))
    elif isinstance(item, Text):
        b, n = _b(item.text)
        check(lib.pcfmcp_result_add_text(res, b, n))
    elif isinstance(item, dict):
        check(lib.pcfmcp_result_add_content_json(res, enc(json.dumps(item))))
    elif isinstance(item, Image):
        check(lib.pcfmcp_result_add_image(res, item.data, len(item.data), enc(item.mime_type)))
    elif isinstance(item, Audio):
        check(lib.pcfmcp_result_add_audio(res, item.data, len(item.data), enc(item.mime_type)))
    elif isinstance(item, EmbeddedText):
        b, n = _b(item.text)
        check(
            lib.pcfmcp_result_add_embedded_text(res, enc(item.uri), enc(item.mime_type), b, n)
        )
    elif isinstance(item, EmbeddedBlob):
        check(
            lib.pcfmcp_result_add_embedded_blob(
                res, enc(item.uri), enc(item.mime_type), item.data, len(item.data)
            )
        )
    elif isinstance(item, ResourceLink):
        check(lib.pcfmcp_result_add_resource_link(res, enc(json.dumps(item.link))))
    else:
        raise TypeError("cannot turn %s into a content block" % type(item).__name__)


def _fill_tool(res, value):
    if value is None:
        return
    if isinstance(value, (str, Text, Image, Audio, EmbeddedText, EmbeddedBlob, ResourceLink)):
        _add_content(res, value)
    elif isinstance(value, dict):
        b, n = _b(json.dumps(value))
        check(lib.pcfmcp_result_set_structured(res, b, n))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _add_content(res, item)
    elif isinstance(value, ToolResult):
        for item in value.content:
            _add_content(res, item)
        if value.structured is not None:
            b, n = _b(json.dumps(value.structured))
            check(lib.pcfmcp_result_set_structured(res, b, n))
        if value.meta is not None:
            check(lib.pcfmcp_result_set_meta(res, enc(json.dumps(value.meta))))
        if value.error is not None:
            check(lib.pcfmcp_result_set_error(res, enc(value.error)))
    else:
        raise TypeError(
            "a tool must return str, dict, a list of content blocks or ToolResult, not %s"
            % type(value).__name__
        )


def _fail(res, exc, kind):
    """Turns an exception from a handler into the code C expects; never raises."""
    try:
        if isinstance(exc, PcfmcpError):
            if exc.code == ErrorCode.INPUT_REQUIRED:
                return int(exc.code)
            code, text = int(exc.code), exc.message
        elif isinstance(exc, ToolError):
            code, text = int(ErrorCode.CALLBACK), str(exc)
        elif kind != "tool" and isinstance(exc, LookupError):
            code, text = int(ErrorCode.NOT_FOUND), str(exc)
        elif kind != "tool" and isinstance(exc, ValueError):
            code, text = int(ErrorCode.INVALID_ARG), str(exc)
        else:
            _log.error("pcfmcp: %s handler raised", kind, exc_info=exc)
            code, text = int(ErrorCode.CALLBACK), "%s: %s" % (type(exc).__name__, exc)
        if code == 0:
            code = int(ErrorCode.CALLBACK)
        lib.pcfmcp_result_set_error(res, (text or "handler failed").encode("utf-8", "replace").replace(b"\0", b" "))
        return code
    except BaseException:
        return int(ErrorCode.CALLBACK)


def _json_or(text, default):
    if text is None:
        return default
    return json.loads(text)


# ------------------------------------------------------------------ context
class Context:
    """The context of one request, handed to every handler. Valid only while
    the handler runs; afterwards every method raises PcfmcpError(STATE)."""

    __slots__ = ("_ptr",)

    def __init__(self, ptr):
        self._ptr = ptr

    def _p(self):
        if not self._ptr:
            raise PcfmcpError(ErrorCode.STATE, None, "the request context is only valid during its handler")
        return self._ptr

    def _str(self, fn):
        return dec(fn(self._p()))

    @property
    def session_id(self):
        return self._str(lib.pcfmcp_ctx_session_id)

    @property
    def identity(self):
        """The caller's identity, or None when the transport authenticated nobody."""
        return self._str(lib.pcfmcp_ctx_identity)

    @property
    def protocol_version(self):
        return self._str(lib.pcfmcp_ctx_protocol_version)

    @property
    def method(self):
        return self._str(lib.pcfmcp_ctx_method)

    @property
    def request_id(self):
        """The JSON-RPC id (int or str)."""
        return _json_or(self._str(lib.pcfmcp_ctx_request_id), None)

    @property
    def client_capabilities(self):
        return _json_or(self._str(lib.pcfmcp_ctx_client_capabilities), {})

    @property
    def client_info(self):
        return _json_or(self._str(lib.pcfmcp_ctx_client_info), None)

    @property
    def meta(self):
        """The request's ``params._meta``, or None."""
        return _json_or(self._str(lib.pcfmcp_ctx_meta), None)

    @property
    def traceparent(self):
        return self._str(lib.pcfmcp_ctx_traceparent)

    @property
    def tracestate(self):
        return self._str(lib.pcfmcp_ctx_tracestate)

    @property
    def is_cancelled(self):
        """True once the client cancelled the request or the session closed."""
        return bool(lib.pcfmcp_ctx_is_cancelled(self._p()))

    @property
    def errmsg(self):
        return self._str(lib.pcfmcp_ctx_errmsg)

    def _errmsg(self):
        return dec(lib.pcfmcp_ctx_errmsg(self._ptr)) if self._ptr else None

    def set_trace(self, traceparent, tracestate=None):
        check(lib.pcfmcp_ctx_set_trace(self._p(), enc(traceparent), enc(tracestate)), self._errmsg)

    def set_refusal(self, message):
        """For a before-hook: the text the client sees when the hook refuses."""
        check(lib.pcfmcp_ctx_set_refusal(self._p(), enc(message)), self._errmsg)

    def progress(self, progress, total=None, message=None):
        """Sends ``notifications/progress`` if the request carried a progressToken."""
        check(
            lib.pcfmcp_ctx_progress(
                self._p(), float(progress), -1.0 if total is None else float(total), enc(message)
            ),
            self._errmsg,
        )

    def log(self, level, data, logger=None):
        """Sends ``notifications/message`` at ``level`` ("info", "warning", ...) if the
        client asked for that level. ``data`` is any JSON value."""
        check(
            lib.pcfmcp_ctx_log(self._p(), enc(level), enc(logger), enc(json.dumps(data))),
            self._errmsg,
        )

    def request(self, method, params=None):
        """Asks the client (``sampling/createMessage``, ``elicitation/create``,
        ``roots/list``) and returns its result dict.

        Raises PcfmcpError: UNSUPPORTED (client lacks the capability), PROTOCOL
        (it answered an error), TIMEOUT, CANCELLED, or INPUT_REQUIRED on a
        2026-07-28 request: let that one propagate out of the handler, the
        engine runs the handler again once the client supplies the input.
        """
        out = ctypes.c_void_p()
        params_json = None if params is None else json.dumps(params)
        check(
            lib.pcfmcp_ctx_request(self._p(), enc(method), enc(params_json), ctypes.byref(out)),
            self._errmsg,
        )
        return json.loads(take_string(out.value))

    def elicit(self, message, requested_schema):
        """``elicitation/create``: returns the client's result (``action``, ``content``)."""
        return self.request(
            "elicitation/create", {"message": message, "requestedSchema": requested_schema}
        )

    def sample(self, messages, max_tokens=256, **params):
        """``sampling/createMessage``; ``messages`` as MCP SamplingMessage dicts
        (a str becomes one user text message)."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": {"type": "text", "text": messages}}]
        body = dict(params, messages=messages, maxTokens=max_tokens)
        return self.request("sampling/createMessage", body)

    def list_roots(self):
        """``roots/list``: the client's roots."""
        return self.request("roots/list", {}).get("roots", [])


# ------------------------------------------------------------------ trampolines
def _with_ctx(ctxp, fn):
    ctx = Context(ctxp)
    try:
        return fn(ctx)
    finally:
        ctx._ptr = None


def _tool_tramp(ctxp, args_ptr, args_len, res, ud):
    try:
        entry = callbacks.get(ud)
        if entry is None:
            lib.pcfmcp_result_set_error(res, b"the tool is no longer available")
            return int(ErrorCode.CALLBACK)
        args = json.loads(ptr_text(args_ptr, args_len)) if args_ptr else {}
        _fill_tool(res, _with_ctx(ctxp, lambda ctx: entry(ctx, args)))
        return 0
    except BaseException as e:
        return _fail(res, e, "tool")


def _resource_tramp(ctxp, uri, vars_json, res, ud):
    try:
        entry = callbacks.get(ud)
        if entry is None:
            return int(ErrorCode.NOT_FOUND)
        fn, mime = entry
        uri_s = dec(uri)
        variables = _json_or(dec(vars_json), {})
        value = _with_ctx(ctxp, lambda ctx: fn(ctx, uri_s, variables))
        _fill_resource(res, value, uri_s, mime)
        return 0
    except BaseException as e:
        return _fail(res, e, "resource")


def _fill_resource(res, value, uri, mime):
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            item = {"text": item}
        elif isinstance(item, (bytes, bytearray)):
            item = {"blob": bytes(item)}
        if not isinstance(item, dict):
            raise TypeError("a resource must return str, bytes, dict or a list of them")
        u = enc(item.get("uri", uri))
        m = enc(item.get("mimeType", mime))
        if "text" in item:
            b, n = _b(item["text"])
            check(lib.pcfmcp_result_add_contents_text(res, u, m, b, n))
        elif "blob" in item:
            blob = item["blob"]
            if isinstance(blob, str):  # already base64, as MCP spells it
                blob = base64.b64decode(blob)
            check(lib.pcfmcp_result_add_contents_blob(res, u, m, blob, len(blob)))
        else:
            raise TypeError("resource contents need 'text' or 'blob'")


def _prompt_tramp(ctxp, args_json, res, ud):
    try:
        fn = callbacks.get(ud)
        if fn is None:
            return int(ErrorCode.NOT_FOUND)
        args = _json_or(dec(args_json), {})
        _fill_prompt(res, _with_ctx(ctxp, lambda ctx: fn(ctx, args)))
        return 0
    except BaseException as e:
        return _fail(res, e, "prompt")


def _fill_prompt(res, value):
    if isinstance(value, str):
        value = [("user", value)]
    if isinstance(value, dict):
        if value.get("description") is not None:
            check(lib.pcfmcp_result_set_description(res, enc(value["description"])))
        value = value.get("messages", [])
    for msg in value:
        if isinstance(msg, tuple):
            role, text = msg
            check(lib.pcfmcp_result_add_message_text(res, enc(role), enc(text)))
        elif isinstance(msg, dict):
            content = msg.get("content")
            if isinstance(content, str):
                check(lib.pcfmcp_result_add_message_text(res, enc(msg["role"]), enc(content)))
            else:
                check(
                    lib.pcfmcp_result_add_message(res, enc(msg["role"]), enc(json.dumps(content)))
                )
        else:
            raise TypeError("prompt messages are (role, text) tuples or {role, content} dicts")


def _complete_tramp(ctxp, argument, value, context_json, res, ud):
    try:
        fn = callbacks.get(ud)
        if fn is None:
            return int(ErrorCode.NOT_FOUND)
        a, v = dec(argument), dec(value)
        c = _json_or(dec(context_json), {})
        out = _with_ctx(ctxp, lambda ctx: fn(ctx, a, v, c))
        total, has_more = None, False
        if isinstance(out, dict):
            total, has_more = out.get("total"), bool(out.get("hasMore", False))
            out = out.get("values", [])
        for item in out:
            check(lib.pcfmcp_result_add_completion(res, enc(item)))
        if total is not None or has_more:
            check(
                lib.pcfmcp_result_set_completion_total(
                    res, -1 if total is None else int(total), int(has_more)
                )
            )
        return 0
    except BaseException as e:
        return _fail(res, e, "completion")


def _emit_tramp(json_ptr, length, flags, ud):
    try:
        fn = callbacks.get(ud)
        if fn is not None:
            fn(ptr_text(json_ptr, length), Emit(flags))
    except BaseException:
        _log.exception("pcfmcp: emit callback raised")


def _before_tramp(ctxp, method, name, args_json, ud):
    try:
        hooks = callbacks.get(ud)
        if hooks is None or hooks[0] is None:
            return 0
        m, n, a = dec(method), dec(name), _json_or(dec(args_json), None)
        ctx = Context(ctxp)
        try:
            verdict = hooks[0](ctx, m, n, a)
            if verdict is None or verdict is True:
                return 0
            if isinstance(verdict, str):
                lib.pcfmcp_ctx_set_refusal(ctxp, verdict.encode("utf-8", "replace").replace(b"\0", b" "))
            return int(ErrorCode.DENIED)
        finally:
            ctx._ptr = None
    except BaseException as e:
        try:
            if isinstance(e, PcfmcpError) and e.code != 0:
                code, text = int(e.code), e.message
            else:
                code, text = int(ErrorCode.DENIED), str(e) or type(e).__name__
            lib.pcfmcp_ctx_set_refusal(ctxp, text.encode("utf-8", "replace").replace(b"\0", b" "))
            return code
        except BaseException:
            return int(ErrorCode.DENIED)


def _after_tramp(ctxp, method, name, outcome, rpc_error, seconds, ud):
    try:
        hooks = callbacks.get(ud)
        if hooks is None or hooks[1] is None:
            return
        _with_ctx(
            ctxp, lambda ctx: hooks[1](ctx, dec(method), dec(name), Outcome(outcome), rpc_error, seconds)
        )
    except BaseException:
        _log.exception("pcfmcp: after-hook raised")


_TOOL = _lib.TOOL_CB(_tool_tramp)
_RESOURCE = _lib.RESOURCE_CB(_resource_tramp)
_PROMPT = _lib.PROMPT_CB(_prompt_tramp)
_COMPLETE = _lib.COMPLETE_CB(_complete_tramp)
_EMIT = _lib.EMIT_CB(_emit_tramp)
_NO_EMIT = ctypes.cast(None, _lib.EMIT_CB)
_BEFORE = _lib.BEFORE_HOOK_CB(_before_tramp)
_AFTER = _lib.AFTER_HOOK_CB(_after_tramp)


def _to_json_text(obj):
    if isinstance(obj, (dict, list)):
        return json.dumps(obj)
    return obj


# ------------------------------------------------------------------ engine
class Engine(Handle):
    """A pcfmcp_engine_t whose handlers are Python callables.

    ``Engine(name, version, threads=4)`` introduces itself as ``name`` /
    ``version``; ``threads`` > 0 runs tools, reads, prompts and completions on
    that many worker threads (needed for :meth:`Context.request` and for
    cancellation over stdio).
    """

    _shutdown_order = 30

    def __init__(self, name: str, version: str, threads: int = 0, queue_max: int = 256,
                 logger: Optional["Logger"] = None) -> None:
        self._init_state()
        out = ctypes.c_void_p()
        check(lib.pcfmcp_engine_new(ctypes.byref(out), enc(name, "name"), enc(version, "version")))
        self._adopt(out.value)
        if threads:
            self.set_threads(threads, queue_max)
        if logger is not None:
            self.set_logger(logger)

    def _init_state(self):
        self._keys = []
        self._hook_key = None
        self._borrowed = False
        self._refs = []  # Python objects C borrows from us (loggers, toolsets)
        self._sessions = weakref.WeakSet()

    @classmethod
    def _borrow(cls, ptr):
        """Wraps an engine someone else (a Server) owns and frees."""
        e = cls.__new__(cls)
        e._init_state()
        e._borrowed = True
        e._adopt(ptr)
        return e

    def _release(self, ptr):
        for s in list(self._sessions):
            s.close()
        if not self._borrowed:
            lib.pcfmcp_engine_free(ptr)
            self._drop_callbacks()

    def _drop_callbacks(self):
        for key in self._keys:
            callbacks.remove(key)
        self._keys = []
        self._refs = []

    def _errmsg(self):
        return dec(lib.pcfmcp_engine_errmsg(self._ptr)) if self._ptr else None

    @property
    def errmsg(self):
        return self._errmsg()

    # -------------------------------------------------------------- settings
    def set_logger(self, logger):
        """Logs through ``logger`` (a :class:`Logger`); None stops logging."""
        check(
            lib.pcfmcp_engine_set_logger(self._p(), logger._p() if logger else None), self._errmsg
        )
        self._refs.append(logger)

    def set_info(self, info):
        """Optional ``serverInfo`` members: title, description, websiteUrl, icons (a dict)."""
        check(lib.pcfmcp_engine_set_info(self._p(), enc(_to_json_text(info))), self._errmsg)

    def set_instructions(self, instructions):
        check(lib.pcfmcp_engine_set_instructions(self._p(), enc(instructions)), self._errmsg)

    def set_page_size(self, size):
        check(lib.pcfmcp_engine_set_page_size(self._p(), size), self._errmsg)

    def set_limits(self, max_depth=64, max_batch=64):
        check(lib.pcfmcp_engine_set_limits(self._p(), max_depth, max_batch), self._errmsg)

    def set_threads(self, threads, queue_max=256):
        """Worker threads for handlers; before the first message only."""
        check(lib.pcfmcp_engine_set_threads(self._p(), threads, queue_max), self._errmsg)

    def set_request_timeout(self, timeout_ms):
        check(lib.pcfmcp_engine_set_request_timeout(self._p(), timeout_ms), self._errmsg)

    def set_cache_hint(self, method, ttl_ms, scope="public"):
        check(
            lib.pcfmcp_engine_set_cache_hint(self._p(), enc(method), ttl_ms, enc(scope)),
            self._errmsg,
        )

    def set_validate_output(self, on=True):
        check(lib.pcfmcp_engine_set_validate_output(self._p(), int(bool(on))), self._errmsg)

    def set_hooks(self, before=None, after=None):
        """Hooks around every request.

        ``before(ctx, method, name, args)`` returns None/True to proceed, a str
        to refuse with that text, or False to refuse with the text set by
        :meth:`Context.set_refusal` (or the engine's default); raising refuses too.
        ``after(ctx, method, name, outcome, jsonrpc_error, seconds)``.
        """
        key = callbacks.add((before, after))
        rc = lib.pcfmcp_engine_set_hooks(
            self._p(),
            _BEFORE if before else ctypes.cast(None, _lib.BEFORE_HOOK_CB),
            _AFTER if after else ctypes.cast(None, _lib.AFTER_HOOK_CB),
            key,
        )
        if rc != 0:
            callbacks.remove(key)
            check(rc, self._errmsg)
        self._keys.append(key)

    # -------------------------------------------------------------- registration
    def _register(self, cfn, definition, tramp, entry, *extra):
        key = callbacks.add(entry)
        rc = cfn(self._p(), *extra, enc(_to_json_text(definition)) if definition is not None else None, tramp, key)
        if rc != 0:
            callbacks.remove(key)
            check(rc, self._errmsg)
        self._keys.append(key)

    def add_tool(self, fn: ToolFunction, name: Optional[str] = None,
                 description: Optional[str] = None,
                 input_schema: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        """Registers ``fn(ctx, arguments) -> result`` as a tool.

        The result may be a str (text), a dict (structuredContent), a list of
        content blocks (str, dict, :class:`Image`, ...), a :class:`ToolResult`,
        or None. Raising makes the call a tool error (:class:`ToolError` for
        a text meant for the model). Either give the MCP ``Tool`` fields as
        keywords (``name`` defaults to ``fn.__name__``, ``description`` to its
        docstring, ``input_schema`` to an empty object schema; ``title``,
        ``outputSchema``, ``annotations`` ... pass through) or a complete
        ``Tool`` dict as ``fields["tool"]``.
        """
        tool = fields.pop("tool", None)
        if tool is None:
            tool = {
                "name": name or fn.__name__,
                "description": description or (fn.__doc__ or "").strip() or (name or fn.__name__),
                "inputSchema": input_schema or {"type": "object", "properties": {}},
            }
            tool.update(fields)
        self._register(lib.pcfmcp_engine_add_tool, tool, _TOOL, fn)

    def tool(self, name: Optional[str] = None, description: Optional[str] = None,
             input_schema: Optional[Mapping[str, Any]] = None,
             **fields: Any) -> Callable[[ToolFunction], ToolFunction]:
        """Decorator form of :meth:`add_tool`::

            @engine.tool(input_schema={"type": "object",
                                       "properties": {"name": {"type": "string"}}})
            def greet(ctx, args):
                "Greets someone."
                return "Hello, %s!" % args["name"]
        """

        def deco(fn):
            self.add_tool(fn, name, description, input_schema, **fields)
            return fn

        return deco

    def remove_tool(self, name):
        check(lib.pcfmcp_engine_remove_tool(self._p(), enc(name)), self._errmsg)

    def batch_begin(self):
        """Opens a batch of registry changes: list_changed notifications wait
        for the matching :meth:`batch_end` (one per changed list)."""
        check(lib.pcfmcp_engine_batch_begin(self._p()), self._errmsg)

    def batch_end(self):
        check(lib.pcfmcp_engine_batch_end(self._p()), self._errmsg)

    def withhold_tool(self, name, reason):
        """Declares ``name`` as a tool kept away from this engine and why: a
        ``tools/call`` for it stays a -32602 error but says ``reason`` (message
        and ``error.data``). ``reason=None`` forgets the name."""
        check(lib.pcfmcp_engine_withhold_tool(self._p(), enc(name), enc(reason)), self._errmsg)

    @property
    def tool_count(self):
        return lib.pcfmcp_engine_tool_count(self._p())

    def tools(self):
        """The registered ``Tool`` objects, in registration order."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_engine_tools_json(self._p(), ctypes.byref(out)), self._errmsg)
        return json.loads(take_string(out.value))

    def add_resource(self, fn, resource):
        """Registers ``fn(ctx, uri, variables) -> contents`` for the ``Resource``
        dict ``resource``. Contents: str (text), bytes (blob), a dict with
        ``text`` or ``blob`` (and optional ``uri``, ``mimeType``) or a list of
        those. LookupError -> resource not found; ValueError -> invalid params."""
        self._register(
            lib.pcfmcp_engine_add_resource, resource, _RESOURCE, (fn, resource.get("mimeType"))
        )

    def add_resource_template(self, fn, template):
        """Like :meth:`add_resource` for a ``ResourceTemplate`` dict; ``variables``
        holds the values matched in the URI."""
        self._register(
            lib.pcfmcp_engine_add_resource_template,
            template,
            _RESOURCE,
            (fn, template.get("mimeType")),
        )

    def add_prompt(self, fn, prompt):
        """Registers ``fn(ctx, arguments) -> messages`` for the ``Prompt`` dict
        ``prompt``. Messages: a str (one user message), a list of ``(role, text)``
        tuples or ``{"role", "content"}`` dicts, or ``{"description", "messages"}``."""
        self._register(lib.pcfmcp_engine_add_prompt, prompt, _PROMPT, fn)

    def add_completion(self, fn, ref_type, ref):
        """Registers ``fn(ctx, argument, value, context) -> values`` for the prompt
        (``ref_type`` "ref/prompt") or resource template ("ref/resource") ``ref``.
        Return a list of str or ``{"values", "total", "hasMore"}``."""
        key = callbacks.add(fn)
        rc = lib.pcfmcp_engine_add_completion(self._p(), enc(ref_type), enc(ref), _COMPLETE, key)
        if rc != 0:
            callbacks.remove(key)
            check(rc, self._errmsg)
        self._keys.append(key)

    def enable_subscriptions(self):
        check(lib.pcfmcp_engine_enable_subscriptions(self._p()), self._errmsg)

    def notify_resource_updated(self, uri):
        check(lib.pcfmcp_engine_notify_resource_updated(self._p(), enc(uri)), self._errmsg)

    def capabilities(self):
        """The server capabilities declared right now (a dict)."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_engine_capabilities_json(self._p(), ctypes.byref(out)), self._errmsg)
        return json.loads(take_string(out.value))

    def session(self, stateless=False):
        """A new :class:`Session` on this engine."""
        return Session(self, stateless=stateless)

    def answer(self, message: Union[str, bytes, Mapping[str, Any], List[Any]]) -> Optional[Any]:
        """Answers one JSON-RPC message in memory (pcfmcp_engine_answer()).

        No session, handshake or transport: the message is handled as on a
        session whose ``initialize`` was answered, and the decoded response
        is returned (None for a notification). ``message`` is a dict (or a
        list, a batch) or its JSON text.

        ``engine.answer({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})``
        returns ``{"jsonrpc": "2.0", "id": 1, "result": {"tools": [...]}}``.
        """
        data = message if isinstance(message, (str, bytes)) else json.dumps(message)
        raw = enc(data, "message")
        out = ctypes.c_void_p()
        check(lib.pcfmcp_engine_answer(self._p(), raw, len(raw), ctypes.byref(out)),
              self._errmsg)
        text = take_string(out.value)
        return None if text is None else json.loads(text)

    def call_tool(self, name: str, arguments: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Calls the tool ``name`` in-process and returns its ``CallToolResult``
        (a dict with ``content``, ``structuredContent``, ``isError``).

        A tool that fails returns a result with ``isError: True`` (what the
        model would see); a call the engine refuses (unknown tool, arguments
        that do not match the schema) raises :class:`PcfmcpError` with
        ``code`` PROTOCOL and the JSON-RPC error's message.
        """
        r = self.answer({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": name, "arguments": dict(arguments or {})}})
        if "error" in r:
            raise PcfmcpError(ErrorCode.PROTOCOL, None, r["error"].get("message"))
        return r["result"]


# ------------------------------------------------------------------ session
class Session(Handle):
    """One client's protocol state on an :class:`Engine`."""

    _shutdown_order = 10

    def __init__(self, engine, stateless=False):
        self._engine = engine
        self._keys = []
        out = ctypes.c_void_p()
        check(
            lib.pcfmcp_session_new(
                ctypes.byref(out), engine._p(), SESSION_STATELESS if stateless else 0
            ),
            engine._errmsg,
        )
        self._adopt(out.value)
        engine._sessions.add(self)

    def _release(self, ptr):
        lib.pcfmcp_session_free(ptr)
        for key in self._keys:
            callbacks.remove(key)
        self._keys = []

    def set_identity(self, identity):
        check(lib.pcfmcp_session_set_identity(self._p(), enc(identity)))

    def set_id(self, session_id):
        check(lib.pcfmcp_session_set_id(self._p(), enc(session_id)))

    def set_protocol_version(self, version):
        check(lib.pcfmcp_session_set_protocol_version(self._p(), enc(version)))

    @property
    def protocol_version(self):
        return dec(lib.pcfmcp_session_protocol_version(self._p()))

    @property
    def is_initialized(self):
        return bool(lib.pcfmcp_session_is_initialized(self._p()))

    @property
    def inflight(self):
        return lib.pcfmcp_session_inflight(self._p())

    def cancel_all(self):
        lib.pcfmcp_session_cancel_all(self._p())

    def set_notify(self, fn):
        """Sends messages not tied to a request (list_changed, resource updates) to
        ``fn(message_dict)``, on the thread that caused them. None drops them."""
        ptr = self._p()
        if fn is None:
            check(lib.pcfmcp_session_set_notify(ptr, _NO_EMIT, None))
            return

        def deliver(text, flags):
            fn(json.loads(text))

        key = callbacks.add(deliver)
        rc = lib.pcfmcp_session_set_notify(ptr, _EMIT, key)
        if rc != 0:
            callbacks.remove(key)
            check(rc)
        self._keys.append(key)

    def send(self, message, on_emit):
        """Feeds one message; every emit goes to ``on_emit(text_or_None, Emit)``
        (possibly on a worker thread, after this returns). Returns :class:`Handled`.
        ``on_emit`` stays registered until the FINAL emit."""
        data = enc(_to_json_text(message), "message")

        def relay(text, flags):
            if flags & Emit.FINAL:
                callbacks.remove(key)
            on_emit(text, flags)

        key = callbacks.add(relay)
        handled = ctypes.c_int()
        rc = lib.pcfmcp_engine_handle(
            self._engine._p(), self._p(), data, len(data), _EMIT, key, ctypes.byref(handled)
        )
        if rc != 0 or handled.value != Handled.PENDING:
            callbacks.remove(key)
        check(rc)
        return Handled(handled.value)

    def handle_raw(self, message, timeout=30.0, responder=None):
        """Feeds one message and collects what it emits: ``(Handled, [(text, Emit)])``.

        For a request handed to a worker (PENDING) waits up to ``timeout``
        seconds for the FINAL emit (PcfmcpError TIMEOUT otherwise; a FINAL
        with text None means the request was cancelled). Server-to-client
        requests (Emit.REQUEST) are answered with ``responder(request) ->
        result`` (raise to answer with an error); without a responder they get
        a "method not found" error.
        """
        q = queue.SimpleQueue()
        key = callbacks.add(lambda text, flags: q.put((text, flags)))
        try:
            data = enc(_to_json_text(message), "message")
            handled = ctypes.c_int()
            check(
                lib.pcfmcp_engine_handle(
                    self._engine._p(), self._p(), data, len(data), _EMIT, key, ctypes.byref(handled)
                )
            )
            h = Handled(handled.value)
            out = []
            deadline = time.monotonic() + timeout
            while True:
                if h == Handled.PENDING:
                    remaining = deadline - time.monotonic()
                    try:
                        item = q.get(timeout=max(remaining, 0.0))
                    except queue.Empty:
                        raise PcfmcpError(
                            ErrorCode.TIMEOUT, None, "no final answer within %.1f s" % timeout
                        ) from None
                else:
                    try:
                        item = q.get_nowait()
                    except queue.Empty:
                        break
                out.append(item)
                text, flags = item
                if flags & Emit.REQUEST:
                    self._answer(json.loads(text), responder)
                if flags & Emit.FINAL and h == Handled.PENDING:
                    break
            return h, out
        finally:
            callbacks.remove(key)

    def _answer(self, request, responder):
        rid = request.get("id")
        if responder is None:
            reply = {"jsonrpc": "2.0", "id": rid,
                     "error": {"code": -32601, "message": "no responder for %s" % request.get("method")}}
        else:
            try:
                reply = {"jsonrpc": "2.0", "id": rid, "result": responder(request)}
            except Exception as e:
                reply = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": str(e)}}
        data = enc(json.dumps(reply))
        handled = ctypes.c_int()
        check(
            lib.pcfmcp_engine_handle(
                self._engine._p(), self._p(), data, len(data), _EMIT, None, ctypes.byref(handled)
            )
        )

    def handle(self, message, timeout=30.0, responder=None):
        """Feeds one message (a dict, or JSON text) and returns the emitted
        messages as a list of dicts, the response last. See :meth:`handle_raw`."""
        _, out = self.handle_raw(message, timeout, responder)
        return [json.loads(text) for text, _ in out if text is not None]

    def request(self, method, params=None, request_id=1, timeout=30.0, responder=None):
        """Sends one request and returns its ``result`` dict; a JSON-RPC error
        raises PcfmcpError(PROTOCOL) with the error's message and ``rpc_error``."""
        msg = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            msg["params"] = params
        for reply in self.handle(msg, timeout, responder):
            if reply.get("id") == request_id and ("result" in reply or "error" in reply):
                if "error" in reply:
                    e = PcfmcpError(ErrorCode.PROTOCOL, None, reply["error"].get("message", ""))
                    e.rpc_error = reply["error"]
                    raise e
                return reply["result"]
        raise PcfmcpError(ErrorCode.CANCELLED, None, "the request ended without a response")

    def initialize(self, protocol_version=PROTOCOL_LATEST_LEGACY, capabilities=None,
                   client_info=None):
        """Runs the ``initialize`` handshake (and ``notifications/initialized``);
        returns the server's InitializeResult."""
        result = self.request(
            "initialize",
            {
                "protocolVersion": protocol_version,
                "capabilities": capabilities or {},
                "clientInfo": client_info or {"name": "pcfmcp-python", "version": "0"},
            },
            request_id=0,
        )
        self.handle({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result
