"""Pcf (include/pcfmcp/pcf.h): the Pentest Collaboration Framework client.

Every request method returns PCF's answer parsed from JSON (usually a dict)
or raises :class:`~pcfmcp.errors.PcfError` carrying the HTTP status, PCF's
error list and a message safe to show. ``body`` arguments take a dict of
further fields named as in PCF's API. Ids must be UUID strings.

Thread rules (pcf.h): configure (``set_*``) from one thread before the first
request; afterwards the setters raise PcfmcpError(STATE). Once configured, a
client may be used from any number of threads at once; web-UI operations of
one client run one at a time. The observer runs on the calling thread and
must not call back into the client.
"""

import collections
import ctypes
import json

from . import _lib
from ._handle import Handle, callbacks
from ._lib import dec, enc, lib, take_string
from .errors import ErrorCode, PcfError, PcfmcpError, check
from .log import Logger

RenderedReport = collections.namedtuple("RenderedReport", "info data filename content_type")
RenderedReport.__doc__ = """A rendered report: ``info`` is the JSON answer
(``status``, ``filename``, ``content_type``, ``size``), ``data`` the file's bytes."""


def global_init():
    """pcfmcp_global_init(): reference-counted set-up of libcurl and GnuTLS."""
    check(lib.pcfmcp_global_init())


def global_cleanup():
    """pcfmcp_global_cleanup(): pairs one :func:`global_init`."""
    lib.pcfmcp_global_cleanup()


def _observer_tramp(endpoint, status, error, seconds, attempt, is_retry, ud):
    try:
        fn = callbacks.get(ud)
        if fn is not None:
            try:
                error = ErrorCode(error)
            except ValueError:
                pass
            fn(dec(endpoint), status, error, seconds, attempt, bool(is_retry))
    except BaseException:
        pass  # an observer must not break the request it watches


_OBSERVER = _lib.PCF_OBSERVER_CB(_observer_tramp)


def _arg(value, what="argument"):
    """Converts one Python argument of the generic call path."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return (ctypes.c_char_p * len(value))(*(enc(v, what) for v in value))
    if isinstance(value, (dict, list)):
        return enc(json.dumps(value), what)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return enc(value, what)
    return value


def _body(body):
    return None if body is None else enc(json.dumps(body) if not isinstance(body, str) else body, "body")


def _strs(values):
    values = list(values)
    return (ctypes.c_char_p * max(len(values), 1))(*(enc(v) for v in values)), len(values)


def operations():
    """Every operation Pcf.operation() accepts: a list of
    {"name", "writes", "web_session", "ids", "required"} (pcfmcp_pcf_operations())."""
    out = ctypes.c_void_p()
    check(lib.pcfmcp_pcf_operations(ctypes.byref(out)))
    return json.loads(take_string(out.value))


class Pcf(Handle):
    """A client for the PCF at ``base_url``. Give credentials as ``token`` or
    ``email`` + ``password`` (or later with the setters)."""

    _shutdown_order = 60

    def __init__(self, base_url, logger=None, token=None, email=None, password=None, _ptr=None):
        self._logger = logger
        self._observer_keys = []
        global_init()
        self._inited = True
        if _ptr is None:
            out = ctypes.c_void_p()
            rc = lib.pcfmcp_pcf_new(
                ctypes.byref(out), enc(base_url, "base_url"), logger._p() if logger else None
            )
            if rc != 0:
                global_cleanup()
                self._inited = False
                check(rc)
            _ptr = out.value
        self._adopt(_ptr)
        if token is not None:
            self.set_token(token)
        if email is not None or password is not None:
            self.set_login(email, password)

    def _release(self, ptr):
        lib.pcfmcp_pcf_free(ptr)
        for key in self._observer_keys:
            callbacks.remove(key)
        self._observer_keys = []
        if self._inited:
            self._inited = False
            global_cleanup()

    def _errmsg(self):
        return dec(lib.pcfmcp_pcf_errmsg(self._ptr)) if self._ptr else None

    @property
    def errmsg(self):
        return self._errmsg()

    def sibling(self):
        """A client for another identity on the same PCF: same transport settings
        and connection cache, no credentials yet."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_pcf_new_sibling(ctypes.byref(out), self._p()), self._errmsg)
        return Pcf(None, self._logger, _ptr=out.value)

    # -------------------------------------------------------------- settings
    def _set(self, fn, *args):
        check(fn(self._p(), *args), self._errmsg)

    def set_token(self, token):
        self._set(lib.pcfmcp_pcf_set_token, enc(token, "token"))

    def set_login(self, email, password):
        self._set(lib.pcfmcp_pcf_set_login, enc(email, "email"), enc(password, "password"))

    def set_token_duration(self, seconds):
        self._set(lib.pcfmcp_pcf_set_token_duration, int(seconds))

    def set_ca_file(self, path):
        self._set(lib.pcfmcp_pcf_set_ca_file, enc(path, "path"))

    def set_ca_dir(self, path):
        self._set(lib.pcfmcp_pcf_set_ca_dir, enc(path, "path"))

    def set_insecure(self, insecure=True):
        """Turns TLS verification off (dangerous, logged) or back on."""
        self._set(lib.pcfmcp_pcf_set_insecure, int(bool(insecure)))

    def set_client_cert(self, cert_file, key_file, key_password=None):
        self._set(lib.pcfmcp_pcf_set_client_cert, enc(cert_file), enc(key_file), enc(key_password))

    def set_basic_auth(self, user, password):
        self._set(lib.pcfmcp_pcf_set_basic_auth, enc(user), enc(password))

    def set_timeouts(self, connect_ms=0, request_ms=0, total_ms=0):
        """Milliseconds; 0 keeps the current value."""
        self._set(lib.pcfmcp_pcf_set_timeouts, int(connect_ms), int(request_ms), int(total_ms))

    def set_max_body(self, nbytes):
        self._set(lib.pcfmcp_pcf_set_max_body, int(nbytes))

    def set_retry(self, max_attempts=3, base_ms=250, max_ms=5000):
        self._set(lib.pcfmcp_pcf_set_retry, int(max_attempts), int(base_ms), int(max_ms))

    def set_channel(self, capability, channel):
        """``channel`` "api" or "ui" for "issues_write", "issues_delete", "pocs"."""
        self._set(lib.pcfmcp_pcf_set_channel, enc(capability), enc(channel))

    def set_allow_api_issue_writes(self, allow=True):
        self._set(lib.pcfmcp_pcf_set_allow_api_issue_writes, int(bool(allow)))

    def set_token_state_file(self, path):
        """Keeps the token created from the login in ``path`` (mode 0600) so a
        client started after a crash reuses it; None: not kept."""
        self._set(lib.pcfmcp_pcf_set_token_state_file, enc(path))

    def set_observer(self, fn):
        """Calls ``fn(endpoint, http_status, error, seconds, attempt, is_retry)``
        after every HTTP attempt; None removes it."""
        if fn is None:
            self._set(lib.pcfmcp_pcf_set_observer, ctypes.cast(None, _lib.PCF_OBSERVER_CB), None)
            return
        key = callbacks.add(fn)
        rc = lib.pcfmcp_pcf_set_observer(self._p(), _OBSERVER, key)
        if rc != 0:
            callbacks.remove(key)
            check(rc, self._errmsg)
        self._observer_keys.append(key)

    # -------------------------------------------------------------- state
    @property
    def token_expiry(self):
        """When the current token expires (Unix seconds), 0 if unknown."""
        return lib.pcfmcp_pcf_token_expiry(self._p())

    def capability(self, name):
        """(True, None) when ``name`` can be used, else (False, reason).
        Unknown names raise PcfmcpError(NOT_FOUND)."""
        reason = ctypes.c_char_p()
        rc = lib.pcfmcp_pcf_capability(self._p(), enc(name), ctypes.byref(reason))
        if rc == ErrorCode.UNSUPPORTED:
            return False, dec(reason.value)
        check(rc, lambda: "unknown capability %r" % name)
        return True, None

    # -------------------------------------------------------------- the call path
    def call_result(self, name, *args):
        """Generic path: runs ``pcfmcp_pcf_<name>`` with C-shaped ``args`` (those
        between the client and the result: dict/list -> JSON text, list of str
        -> string array, bytes as they are) and returns a dict with every
        pcfmcp_pcf_result_* field. Never raises for a failed request."""
        if name not in _lib.PCF_CALLS:
            raise PcfmcpError(ErrorCode.NOT_FOUND, None, "no PCF endpoint function %r" % name)
        fn = getattr(lib, "pcfmcp_pcf_" + name)
        out = ctypes.c_void_p()
        rc = fn(self._p(), *[_arg(a) for a in args], ctypes.byref(out))
        res = out.value
        if not res:
            check(rc if rc else ErrorCode.NOMEM)
        try:
            n = ctypes.c_size_t()
            jp = lib.pcfmcp_pcf_result_json(res, ctypes.byref(n))
            text = ctypes.string_at(jp, n.value).decode("utf-8", "replace") if jp else None
            dp = lib.pcfmcp_pcf_result_data(res, ctypes.byref(n))
            errs = dec(lib.pcfmcp_pcf_result_pcf_errors(res))
            code = lib.pcfmcp_pcf_result_error(res)
            return {
                "error": ErrorCode(code) if code in ErrorCode._value2member_map_ else code,
                "message": dec(lib.pcfmcp_pcf_result_message(res)),
                "http_status": lib.pcfmcp_pcf_result_http_status(res),
                "pcf_errors": json.loads(errs) if errs else [],
                "attempts": lib.pcfmcp_pcf_result_attempts(res),
                "text": text,
                "data": ctypes.string_at(dp, n.value) if dp else None,
                "filename": dec(lib.pcfmcp_pcf_result_filename(res)),
                "content_type": dec(lib.pcfmcp_pcf_result_content_type(res)),
            }
        finally:
            lib.pcfmcp_pcf_result_free(res)

    def call(self, name, *args):
        """Like :meth:`call_result`, but returns the parsed JSON answer or raises PcfError."""
        r = self.call_result(name, *args)
        parsed = None
        if r["text"]:
            try:
                parsed = json.loads(r["text"])
            except ValueError:
                parsed = None
        if r["error"] != 0:
            raise PcfError(
                r["error"], r["message"], r["http_status"], r["pcf_errors"], r["attempts"], parsed
            )
        return parsed

    def _c(self, name, *args):
        return self.call(name, *args)

    def operation(self, name, args=None):
        """Runs any operation by its name (pcfmcp_pcf_call(); :func:`operations`
        lists them), e.g. ``pcf.operation("tasks_list", {"project_id": pid})``.
        Returns the parsed JSON answer or raises PcfError."""
        return self._c("call", name, _body(args if args is not None else {}))

    def operation_result(self, name, args=None):
        """Like :meth:`operation` but returns every result field (``data``
        holds the bytes of a file download) and never raises for a failed
        request."""
        return self.call_result("call", name, _body(args if args is not None else {}))

    # -------------------------------------------------------------- tokens, users
    def check(self):
        """Readiness probe: PCF reachable and accepting the credentials."""
        return self._c("check")

    def token_create(self, email, password, name=None, duration_seconds=0):
        return self._c("token_create", email, password, name, int(duration_seconds))

    def token_check(self):
        return self._c("token_check")

    def token_disable(self):
        return self._c("token_disable")

    def user_me(self):
        return self._c("user_me")

    def user_info(self, user_id):
        return self._c("user_info", user_id)

    # -------------------------------------------------------------- teams
    def teams_list(self):
        return self._c("teams_list")

    def team_info(self, team_id):
        return self._c("team_info", team_id)

    def team_users(self, team_id):
        return self._c("team_users", team_id)

    def team_projects(self, team_id):
        return self._c("team_projects", team_id)

    def team_logs(self, team_id, limit=-1, offset=-1):
        return self._c("team_logs", team_id, int(limit), int(offset))

    def team_update(self, team_id, body):
        return self._c("team_update", team_id, _body(body))

    def team_user_add(self, team_id, email, is_admin=False):
        return self._c("team_user_add", team_id, email, int(bool(is_admin)))

    def team_user_set_admin(self, team_id, user_id):
        return self._c("team_user_set_admin", team_id, user_id)

    def team_user_devote(self, team_id, user_id):
        return self._c("team_user_devote", team_id, user_id)

    def team_user_delete(self, team_id, user_id):
        return self._c("team_user_delete", team_id, user_id)

    # -------------------------------------------------------------- projects
    def projects_list(self):
        return self._c("projects_list")

    def project_create(self, name, body=None):
        return self._c("project_create", name, _body(body))

    def project_settings(self, project_id):
        return self._c("project_settings", project_id)

    def project_update(self, project_id, body):
        return self._c("project_update", project_id, _body(body))

    # -------------------------------------------------------------- hosts, ports, hostnames
    def hosts_list(self, project_id):
        return self._c("hosts_list", project_id)

    def host_info(self, project_id, host_id):
        return self._c("host_info", project_id, host_id)

    def host_create(self, project_id, ip, body=None):
        return self._c("host_create", project_id, ip, _body(body))

    def host_update(self, project_id, host_id, body):
        return self._c("host_update", project_id, host_id, _body(body))

    def host_delete(self, project_id, host_id):
        return self._c("host_delete", project_id, host_id)

    def port_create(self, project_id, host_id, port, is_tcp=True, body=None):
        return self._c("port_create", project_id, host_id, int(port), int(bool(is_tcp)), _body(body))

    def port_info(self, project_id, port_id):
        return self._c("port_info", project_id, port_id)

    def port_update(self, project_id, port_id, body):
        return self._c("port_update", project_id, port_id, _body(body))

    def port_delete(self, project_id, port_id):
        return self._c("port_delete", project_id, port_id)

    def hostnames_list(self, project_id):
        return self._c("hostnames_list", project_id)

    def hostname_add(self, project_id, host_id, hostname, body=None):
        return self._c("hostname_add", project_id, host_id, hostname, _body(body))

    # -------------------------------------------------------------- networks
    def networks_list(self, project_id):
        return self._c("networks_list", project_id)

    def network_info(self, project_id, network_id):
        return self._c("network_info", project_id, network_id)

    def network_create(self, project_id, ip, mask, body=None):
        return self._c("network_create", project_id, ip, int(mask), _body(body))

    def network_update(self, project_id, network_id, body):
        return self._c("network_update", project_id, network_id, _body(body))

    def network_delete(self, project_id, network_id):
        return self._c("network_delete", project_id, network_id)

    # -------------------------------------------------------------- issues, PoCs
    def issues_list(self, project_id):
        return self._c("issues_list", project_id)

    def issues_search(self, project_id, body):
        return self._c("issues_search", project_id, _body(body))

    def issue_info(self, project_id, issue_id):
        return self._c("issue_info", project_id, issue_id)

    def issue_create(self, project_id, name, body=None):
        return self._c("issue_create", project_id, name, _body(body))

    def issue_update(self, project_id, issue_id, body):
        return self._c("issue_update", project_id, issue_id, _body(body))

    def issue_delete(self, project_id, issue_id):
        return self._c("issue_delete", project_id, issue_id)

    def poc_add(self, project_id, issue_id, data, poc_type=None, body=None):
        """Adds a PoC file (``data``: bytes, or str as UTF-8); ``poc_type``
        "text", "image" or None to guess."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._c("poc_add", project_id, issue_id, bytes(data), len(data), poc_type, _body(body))

    def poc_info(self, project_id, issue_id, poc_id):
        return self._c("poc_info", project_id, issue_id, poc_id)

    def poc_delete(self, project_id, issue_id, poc_id):
        return self._c("poc_delete", project_id, issue_id, poc_id)

    # -------------------------------------------------------------- rules, spec
    def rules_list(self, body=None):
        return self._c("rules_list", _body(body))

    def rules_use(self, project_id, rule_ids, issue_ids):
        rules, nr = _strs(rule_ids)
        issues, ni = _strs(issue_ids)
        return self._c("rules_use", project_id, rules, nr, issues, ni)

    def swagger(self):
        return self._c("swagger")

    # -------------------------------------------------------------- web-UI features
    def project_snapshot(self, project_id):
        return self._c("project_snapshot", project_id)

    def credentials_list(self, project_id):
        return self._c("credentials_list", project_id)

    def credential_create(self, project_id, login, body=None):
        return self._c("credential_create", project_id, login, _body(body))

    def credential_update(self, project_id, credential_id, body):
        return self._c("credential_update", project_id, credential_id, _body(body))

    def credential_delete(self, project_id, credential_id):
        return self._c("credential_delete", project_id, credential_id)

    def notes_list(self, project_id):
        return self._c("notes_list", project_id)

    def note_create(self, project_id, name, host_id=None, text=None):
        return self._c("note_create", project_id, name, host_id, text)

    def note_update(self, project_id, note_id, text):
        return self._c("note_update", project_id, note_id, text)

    def note_rename(self, project_id, note_id, name):
        return self._c("note_rename", project_id, note_id, name)

    def note_delete(self, project_id, note_id):
        return self._c("note_delete", project_id, note_id)

    def scan_import(self, project_id, fmt, data, body=None):
        """Imports a scanner report (``data`` bytes or str) through PCF's
        importer for ``fmt`` ("nmap", "nessus", ...); ``body`` holds options."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._c("scan_import", project_id, fmt, bytes(data), len(data), _body(body))

    def nmap_import(self, project_id, xml, body=None):
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        return self._c("nmap_import", project_id, bytes(xml), len(xml), _body(body))

    def report_render(self, project_id, template_id=None, template_data=None,
                      template_filename=None, extensions=None):
        """Renders a report from a stored template (``template_id``) or an
        uploaded one (``template_data`` bytes + ``template_filename``)."""
        if isinstance(template_data, str):
            template_data = template_data.encode("utf-8")
        r = self.call_result(
            "report_render",
            project_id,
            template_id,
            template_data,
            len(template_data) if template_data is not None else 0,
            template_filename,
            extensions,
        )
        info = json.loads(r["text"]) if r["text"] else None
        if r["error"] != 0:
            raise PcfError(r["error"], r["message"], r["http_status"], r["pcf_errors"], r["attempts"], info)
        return RenderedReport(info, r["data"], r["filename"], r["content_type"])
