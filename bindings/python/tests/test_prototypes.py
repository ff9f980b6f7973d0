"""The ctypes prototypes cannot drift from the C headers: every function
declared PCFMCP_API in include/pcfmcp/ (and any subdirectory, such as sys/)
is parsed, and each one the bindings declare must take and return, argument
by argument, what the header says: same size and signedness for integers,
floating point for floating point, pointers for pointers, an owned `char *`
returned as a pointer the bindings can free, and callbacks whose own
signature matches their typedef. A public function the bindings do not
declare must belong to an object Python has no class for (UNBOUND_OBJECTS)
or be in UNBOUND below (which only ever shrinks): a new function of a bound
object needs its binding."""

import ctypes
import glob
import os
import re
import unittest

import support
from pcfmcp import _lib

# Objects with no Python class at all (the HTTP transport, the sys/ tier's
# building blocks): their functions are left to C hosts, so a function added
# to one of these needs no binding. Binding one of them removes it here.
UNBOUND_OBJECTS = ("pcfmcp_cache_", "pcfmcp_gate_", "pcfmcp_http_", "pcfmcp_metric_",
                   "pcfmcp_metrics_", "pcfmcp_proxies_", "pcfmcp_ratelimit_", "pcfmcp_span_",
                   "pcfmcp_tracer_")
# Functions of bound objects that had no binding when this check was
# written. Remove a name once it is bound; never add one.
UNBOUND = frozenset("""
pcfmcp_audit_failed pcfmcp_audit_flush pcfmcp_audit_reopen pcfmcp_audit_set_args
pcfmcp_audit_set_fsync pcfmcp_audit_set_logger pcfmcp_audit_set_sink pcfmcp_config_key_range
pcfmcp_config_origin pcfmcp_ctx_cancel_flag pcfmcp_ctx_close_stream pcfmcp_ctx_hook_data
pcfmcp_ctx_request_keyed pcfmcp_ctx_request_state pcfmcp_ctx_set_hook_data
pcfmcp_ctx_set_request_state pcfmcp_engine_session_count pcfmcp_engine_set_state_key
pcfmcp_engine_set_tool_timeout pcfmcp_engine_tool_read_only pcfmcp_pcf_set_cache
pcfmcp_pcf_set_gate pcfmcp_pcf_set_tracer pcfmcp_server_attach_pcf pcfmcp_server_detach_pcf
pcfmcp_server_metrics
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
        unbound = {f for f in set(self.headers.functions) - self.bound
                   if not f.startswith(UNBOUND_OBJECTS)}
        self.assertEqual(sorted(f for f in self.bound if f.startswith(UNBOUND_OBJECTS)), [],
                         "bound now: remove the object from UNBOUND_OBJECTS")
        self.assertEqual(sorted(unbound - UNBOUND), [],
                         "public functions without a Python binding (bind them in "
                         "bindings/python/pcfmcp)")
        self.assertEqual(sorted(UNBOUND & self.bound), [],
                         "bound now: remove them from UNBOUND")
        self.assertEqual(sorted(UNBOUND - set(self.headers.functions)), [],
                         "no longer declared: remove them from UNBOUND")


if __name__ == "__main__":
    unittest.main()
