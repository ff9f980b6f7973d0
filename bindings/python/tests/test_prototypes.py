"""The ctypes prototypes cannot drift from the C headers: every function
declared PCFMCP_API in include/pcfmcp/ (and any subdirectory, such as sys/)
is parsed, and each one the bindings declare must take and return, argument
by argument, what the header says: same size and signedness for integers,
floating point for floating point, pointers for pointers, an owned `char *`
returned as a pointer the bindings can free, and callbacks whose own
signature matches their typedef. A public function the bindings do not
declare must be in UNBOUND below (which only ever shrinks): a new function
needs its binding."""

import ctypes
import glob
import os
import re
import unittest

import support
from pcfmcp import _lib

# Public functions without a Python binding when this check was written.
# Remove a name once it is bound; never add one.
UNBOUND = frozenset("""
pcfmcp_audit_args_hash pcfmcp_audit_errmsg pcfmcp_audit_failed pcfmcp_audit_flush pcfmcp_audit_free
pcfmcp_audit_new pcfmcp_audit_open pcfmcp_audit_record pcfmcp_audit_reopen pcfmcp_audit_set_args
pcfmcp_audit_set_fsync pcfmcp_audit_set_logger pcfmcp_audit_set_sink pcfmcp_audit_written
pcfmcp_cache_configure pcfmcp_cache_enabled pcfmcp_cache_free pcfmcp_cache_get
pcfmcp_cache_invalidate pcfmcp_cache_new pcfmcp_cache_put pcfmcp_cache_set_clock
pcfmcp_cache_set_enabled pcfmcp_cache_stats pcfmcp_config_check pcfmcp_config_key_range
pcfmcp_config_origin pcfmcp_ctx_cancel_flag pcfmcp_ctx_close_stream pcfmcp_ctx_hook_data
pcfmcp_ctx_request_keyed pcfmcp_ctx_request_state pcfmcp_ctx_set_hook_data
pcfmcp_ctx_set_request_state pcfmcp_engine_session_count pcfmcp_engine_set_state_key
pcfmcp_engine_set_tool_timeout pcfmcp_engine_tool_read_only pcfmcp_gate_enter pcfmcp_gate_free
pcfmcp_gate_in_use pcfmcp_gate_leave pcfmcp_gate_new pcfmcp_gate_set_limit pcfmcp_gate_waiting
pcfmcp_http_errmsg pcfmcp_http_free pcfmcp_http_new pcfmcp_http_ops_port pcfmcp_http_port
pcfmcp_http_read_timeouts pcfmcp_http_reload_tls pcfmcp_http_run pcfmcp_http_set_admission_cb
pcfmcp_http_set_allowed_hosts pcfmcp_http_set_allowed_origins pcfmcp_http_set_auth
pcfmcp_http_set_client_address_cb pcfmcp_http_set_insecure_no_auth pcfmcp_http_set_limit
pcfmcp_http_set_listen pcfmcp_http_set_logger pcfmcp_http_set_metrics_cb
pcfmcp_http_set_observer_cb pcfmcp_http_set_ops_listen pcfmcp_http_set_path
pcfmcp_http_set_readiness_cb pcfmcp_http_set_refusal_cb pcfmcp_http_set_stateless
pcfmcp_http_set_tls pcfmcp_http_set_tls_priorities pcfmcp_http_start pcfmcp_http_stop
pcfmcp_http_text_append pcfmcp_http_tls_not_after pcfmcp_metric_add pcfmcp_metric_allow
pcfmcp_metric_observe pcfmcp_metric_set pcfmcp_metric_set_max_series pcfmcp_metric_value
pcfmcp_metrics_add pcfmcp_metrics_add_collector pcfmcp_metrics_add_histogram
pcfmcp_metrics_add_process pcfmcp_metrics_errmsg pcfmcp_metrics_find pcfmcp_metrics_free
pcfmcp_metrics_new pcfmcp_metrics_render pcfmcp_pcf_set_cache pcfmcp_pcf_set_gate
pcfmcp_pcf_set_tracer pcfmcp_proxies_client_address pcfmcp_proxies_errmsg pcfmcp_proxies_free
pcfmcp_proxies_new pcfmcp_ratelimit_configure pcfmcp_ratelimit_free pcfmcp_ratelimit_identities
pcfmcp_ratelimit_new pcfmcp_ratelimit_set_clock pcfmcp_ratelimit_set_max_identities
pcfmcp_ratelimit_take pcfmcp_server_attach_pcf pcfmcp_server_detach_pcf pcfmcp_server_metrics
pcfmcp_span_end pcfmcp_span_is_sampled pcfmcp_span_set_attribute pcfmcp_span_set_attribute_int
pcfmcp_span_set_error pcfmcp_span_start pcfmcp_span_trace_id pcfmcp_span_traceparent
pcfmcp_span_tracestate pcfmcp_tracer_dropped pcfmcp_tracer_errmsg pcfmcp_tracer_exported
pcfmcp_tracer_flush pcfmcp_tracer_free pcfmcp_tracer_new pcfmcp_tracer_set_endpoint
pcfmcp_tracer_set_limits pcfmcp_tracer_set_logger pcfmcp_tracer_set_sample_ratio
pcfmcp_tracer_set_timeout pcfmcp_tracer_start
""".split())

INTS = {
    "int": ctypes.c_int, "unsigned": ctypes.c_uint, "unsigned int": ctypes.c_uint,
    "long": ctypes.c_long, "unsigned long": ctypes.c_ulong, "long long": ctypes.c_longlong,
    "unsigned long long": ctypes.c_ulonglong, "size_t": ctypes.c_size_t,
    "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64, "uint32_t": ctypes.c_uint32,
    "int32_t": ctypes.c_int32, "uint16_t": ctypes.c_uint16, "bool": ctypes.c_bool,
}
FLOATS = {"double": ctypes.c_double, "float": ctypes.c_float}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def split_params(params):
    params = params.strip()
    if params in ("", "void"):
        return []
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p.strip() for p in out]


TYPE_WORDS = {"void", "char", "int", "long", "short", "unsigned", "signed", "double", "float",
              "const", "volatile", "struct", "bool"}


def param_type(param):
    """A parameter's type without its name ("const char *uri" -> "const char *")."""
    tokens = re.findall(r"[A-Za-z_]\w*|\*|\[\s*\]", param)
    last = tokens[-1] if tokens else ""
    if (len(tokens) > 1 and re.match(r"[A-Za-z_]", last) and last not in TYPE_WORDS
            and not last.endswith(("_t", "_cb"))):
        tokens = tokens[:-1]
    elif len(tokens) > 1 and last.startswith("["):
        tokens = tokens[:-2] + ["*"]
    return " ".join(tokens)


class Headers:
    def __init__(self):
        inc = os.path.join(support.SRCDIR, "include", "pcfmcp")
        files = sorted(glob.glob(os.path.join(inc, "**", "*.h"), recursive=True))
        files.append(os.path.join(inc, "version.h.in"))
        parts = []
        for f in files:
            with open(f) as fh:
                parts.append(fh.read())
        text = strip_comments("\n".join(parts))
        self.enums = set(re.findall(r"typedef\s+enum\s*\w*\s*\{[^}]*\}\s*(\w+)\s*;", text))
        self.structs = set(re.findall(r"typedef\s+struct\s+\w+\s+(\w+)\s*;", text))
        self.callbacks = {}
        for ret, name, params in re.findall(
                r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^;]*?)\)\s*;", text, re.S):
            self.callbacks[name] = (" ".join(ret.replace("*", " * ").split()),
                                    [param_type(p) for p in split_params(params)])
        self.functions = {}
        for ret, name, params in re.findall(
                r"PCFMCP_API\s+([\w\s\*]+?)\s*\b(pcfmcp_\w+)\s*\(([^;{]*?)\)\s*;", text, re.S):
            self.functions[name] = (" ".join(ret.replace("*", " * ").split()),
                                    [param_type(p) for p in split_params(params)])


def is_pointer_type(t):
    return t in (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_wchar_p) or (
        isinstance(t, type) and issubclass(t, ctypes._Pointer))


class Checker:
    def __init__(self, headers):
        self.h = headers

    def check(self, ctype, py, where, returned=False):
        """None when ``py`` (a ctypes type) carries the C type ``ctype``,
        else why not."""
        base = ctype.replace("const ", "").replace("volatile ", "").strip()
        stars = base.count("*")
        core = base.replace("*", "").strip()
        if core == "void" and stars == 0:
            return None if py is None else "{}: void, bound as {}".format(where, py)
        if py is None:
            return "{}: {} bound as void".format(where, ctype)
        if stars == 0:
            if core in self.h.callbacks:
                return self.check_callback(core, py, where)
            if core in self.h.enums or core == "pcfmcp_error_t":
                core = "int"
            if core in FLOATS:
                ok = py is FLOATS[core]
                return None if ok else "{}: {} bound as {}".format(where, ctype, py.__name__)
            if core in INTS:
                want = INTS[core]
                if is_pointer_type(py) or py in FLOATS.values():
                    return "{}: {} bound as {}".format(where, ctype, py.__name__)
                signed = lambda t: t(-1).value == -1  # noqa: E731
                if ctypes.sizeof(py) != ctypes.sizeof(want) or signed(py) != signed(want):
                    return "{}: {} bound as {} (size or signedness differ)".format(
                        where, ctype, py.__name__)
                return None
            return "{}: unknown C type {}".format(where, ctype)
        # Pointers.
        if not is_pointer_type(py):
            return "{}: {} bound as {}".format(where, ctype, getattr(py, "__name__", py))
        if returned and core == "char" and stars == 1 and "const" not in ctype:
            # An owned string: a c_char_p result would lose the pointer to free.
            if py is not ctypes.c_void_p:
                return "{}: returns an owned char *, bound as {} (cannot be freed)".format(
                    where, py.__name__)
        if stars >= 2 and py in (ctypes.c_char_p, ctypes.c_void_p):
            # A pointer to pointers passed as a bare pointer: allowed only as
            # c_void_p (callers build the array themselves).
            return None if py is ctypes.c_void_p else "{}: {} bound as c_char_p".format(
                where, ctype)
        if stars == 1 and isinstance(py, type) and issubclass(py, ctypes._Pointer):
            target = py._type_
            if core in INTS or core in self.h.enums or core == "pcfmcp_error_t":
                return self.check(core if core in INTS else "int", target, where + " (pointee)")
            if core in FLOATS:
                return self.check(core, target, where + " (pointee)")
            if core == "char":
                return "{}: char * bound as a pointer to {}".format(where, target.__name__)
        return None

    def check_callback(self, name, py, where):
        ret, params = self.h.callbacks[name]
        restype = getattr(py, "_restype_", "missing")
        argtypes = getattr(py, "_argtypes_", None)
        if restype == "missing" or argtypes is None:
            return "{}: callback {} bound as {}".format(where, name, py)
        if len(argtypes) != len(params):
            return "{}: callback {} takes {} arguments, bound with {}".format(
                where, name, len(params), len(argtypes))
        problems = [self.check(ret, restype, "{} -> {} result".format(where, name))]
        for i, (c, p) in enumerate(zip(params, argtypes)):
            problems.append(self.check(c, p, "{} -> {} argument {}".format(where, name, i + 1)))
        return "; ".join(p for p in problems if p) or None


class PrototypesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.headers = Headers()
        cls.bound = set(_lib._PROTOTYPES) | {"pcfmcp_pcf_" + n for n in _lib.PCF_CALLS}

    def test_headers_parse(self):
        # Enough to mean the parser read them: every function the library exports.
        self.assertGreater(len(self.headers.functions), 350)
        self.assertIn("pcfmcp_tool_cb", self.headers.callbacks)
        self.assertIn("pcfmcp_error_t", self.headers.enums)

    def test_every_bound_function_matches_its_declaration(self):
        checker = Checker(self.headers)
        problems = []
        for name in sorted(self.bound):
            if name not in self.headers.functions:
                problems.append("{}: bound but not declared in include/pcfmcp".format(name))
                continue
            ret, params = self.headers.functions[name]
            f = getattr(_lib.lib, name)
            if f.argtypes is None or len(f.argtypes) != len(params):
                problems.append("{}: {} arguments declared, {} bound".format(
                    name, len(params), None if f.argtypes is None else len(f.argtypes)))
                continue
            problems.append(checker.check(ret, f.restype, name + " result", returned=True))
            for i, (c, p) in enumerate(zip(params, f.argtypes)):
                problems.append(checker.check(c, p, "{} argument {} ({})".format(name, i + 1, c)))
        self.assertEqual([p for p in problems if p], [])

    def test_the_checker_catches_drift(self):
        checker = Checker(self.headers)
        self.assertIsNotNone(checker.check("size_t", ctypes.c_int, "x"))
        self.assertIsNotNone(checker.check("long long", ctypes.c_double, "x"))
        self.assertIsNotNone(checker.check("char *", ctypes.c_char_p, "x", returned=True))
        self.assertIsNotNone(checker.check("const char *", ctypes.c_int, "x"))
        self.assertIsNotNone(checker.check("pcfmcp_tool_cb", _lib.EMIT_CB, "x"))
        self.assertIsNone(checker.check("pcfmcp_tool_cb", _lib.TOOL_CB, "x"))
        self.assertIsNone(checker.check("pcfmcp_error_t", ctypes.c_int, "x"))

    def test_new_public_functions_are_bound(self):
        unbound = set(self.headers.functions) - self.bound
        self.assertEqual(sorted(unbound - UNBOUND), [],
                         "public functions without a Python binding (bind them in "
                         "bindings/python/pcfmcp)")
        self.assertEqual(sorted(UNBOUND & self.bound), [],
                         "bound now: remove them from UNBOUND")
        self.assertEqual(sorted(UNBOUND - set(self.headers.functions)), [],
                         "no longer declared: remove them from UNBOUND")


if __name__ == "__main__":
    unittest.main()
