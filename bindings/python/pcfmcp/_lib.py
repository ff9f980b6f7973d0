"""Loads libpcfmcp.so.0 and declares the C prototypes the bindings use.

Only this module knows C types; the others call ``lib.<function>`` with
Python values converted by the helpers at the bottom.
"""

import ctypes
import ctypes.util
import os

SONAME = "libpcfmcp.so.0"


def source_tree():
    """The top of the pcf-mcp source tree when this package is imported from
    it (``bindings/python/pcfmcp``), else None."""
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.normpath(os.path.join(here, "..", "..", ".."))
    marks = ("configure.ac", os.path.join("include", "pcfmcp", "engine.h"))
    return top if all(os.path.isfile(os.path.join(top, m)) for m in marks) else None


def installed_libdir():
    """The libdir recorded by ``make install`` next to the package, or None
    (a pip-installed package records none: the library is found the
    standard ways)."""
    try:
        from . import _installed  # written by make install
    except ImportError:
        return None
    return getattr(_installed, "LIBDIR", None) or None


def pkg_config_libdir():
    """``pkg-config --variable=libdir pcfmcp``, or None."""
    import subprocess

    try:
        r = subprocess.run(["pkg-config", "--variable=libdir", "pcfmcp"],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def _candidates():
    """Where to look, in order. From a source tree: that tree's own build
    (PCFMCP_LIBRARY, which its tests set, then ``.libs`` or ``build/.libs``)
    before anything installed, so a system copy never shadows the library
    being developed. Installed: the libdir ``make install`` recorded, the
    dynamic loader's search (ctypes.util), pkg-config, and PCFMCP_LIBRARY
    last, for a library in none of those places."""
    env = os.environ.get("PCFMCP_LIBRARY")
    top = source_tree()
    if top:
        if env:
            yield env
        for sub in ("", "build"):
            yield os.path.join(top, sub, ".libs", SONAME)
    libdir = installed_libdir()
    if libdir:
        yield os.path.join(libdir, SONAME)
    found = ctypes.util.find_library("pcfmcp")
    if found:
        yield found
    libdir = pkg_config_libdir()
    if libdir:
        yield os.path.join(libdir, SONAME)
    if env and not top:
        yield env


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    raise ImportError(
        "pcfmcp: cannot find libpcfmcp (%s). Install it (libpcfmcp0, or make install and "
        "ldconfig), make pkg-config find pcfmcp.pc (PKG_CONFIG_PATH), or set "
        "PCFMCP_LIBRARY to its full path. Tried:\n  %s"
        % (SONAME, "\n  ".join(errors) or "nothing was found")
    )


lib, path = _load()

# ------------------------------------------------------------------ types
c_int = ctypes.c_int
c_uint = ctypes.c_uint
c_long = ctypes.c_long
c_longlong = ctypes.c_longlong
c_double = ctypes.c_double
c_size_t = ctypes.c_size_t
c_int64 = ctypes.c_int64
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
P = ctypes.c_void_p  # every opaque handle
PP = ctypes.POINTER(ctypes.c_void_p)  # handle out-parameters, char ** outputs
c_size_t_p = ctypes.POINTER(ctypes.c_size_t)
c_char_p_p = ctypes.POINTER(ctypes.c_char_p)
c_int_p = ctypes.POINTER(ctypes.c_int)
c_longlong_p = ctypes.POINTER(ctypes.c_longlong)
c_double_p = ctypes.POINTER(ctypes.c_double)
err = ctypes.c_int  # pcfmcp_error_t and every other enum

CFUNC = ctypes.CFUNCTYPE
LOG_SINK_CB = CFUNC(None, c_int, c_void_p, c_size_t, c_void_p)
TOOL_CB = CFUNC(c_int, P, c_void_p, c_size_t, P, c_void_p)
RESOURCE_CB = CFUNC(c_int, P, c_char_p, c_char_p, P, c_void_p)
PROMPT_CB = CFUNC(c_int, P, c_char_p, P, c_void_p)
COMPLETE_CB = CFUNC(c_int, P, c_char_p, c_char_p, c_char_p, P, c_void_p)
EMIT_CB = CFUNC(None, c_void_p, c_size_t, c_uint, c_void_p)
BEFORE_HOOK_CB = CFUNC(c_int, P, c_char_p, c_char_p, c_char_p, c_void_p)
AFTER_HOOK_CB = CFUNC(None, P, c_char_p, c_char_p, c_int, c_int, c_double, c_void_p)
PCF_OBSERVER_CB = CFUNC(None, c_char_p, c_int, c_int, c_double, c_int, c_int, c_void_p)
RESOLVE_CB = CFUNC(c_int, c_char_p, PP, c_void_p, c_size_t, c_void_p)

_PROTOTYPES = {
    # common.h, version.h
    "pcfmcp_strerror": (c_char_p, [err]),
    "pcfmcp_error_name": (c_char_p, [err]),
    "pcfmcp_error_last": (c_char_p, []),
    "pcfmcp_free": (None, [c_void_p]),
    "pcfmcp_global_init": (err, []),
    "pcfmcp_global_cleanup": (None, []),
    "pcfmcp_version": (c_char_p, []),
    "pcfmcp_version_num": (c_uint, []),
    # log.h
    "pcfmcp_logger_new": (err, [PP]),
    "pcfmcp_logger_ref": (P, [P]),
    "pcfmcp_logger_unref": (None, [P]),
    "pcfmcp_logger_set_level": (err, [P, c_int]),
    "pcfmcp_logger_get_level": (c_int, [P]),
    "pcfmcp_logger_enabled": (c_int, [P, c_int]),
    "pcfmcp_logger_set_format": (err, [P, c_int]),
    "pcfmcp_logger_set_sink": (err, [P, LOG_SINK_CB, c_void_p]),
    "pcfmcp_logger_add_secret": (err, [P, c_char_p]),
    "pcfmcp_logger_clear_secrets": (None, [P]),
    "pcfmcp_logger_log": (err, [P, c_int, c_char_p, c_char_p, c_char_p]),
    "pcfmcp_log_level_parse": (err, [c_char_p, c_int_p]),
    "pcfmcp_log_level_name": (c_char_p, [c_int]),
    "pcfmcp_logger_redact": (err, [P, c_char_p, PP]),
    # config.h
    "pcfmcp_config_new": (err, [PP]),
    "pcfmcp_config_free": (None, [P]),
    "pcfmcp_config_copy": (err, [PP, P]),
    "pcfmcp_config_set": (err, [P, c_char_p, c_char_p, c_int]),
    "pcfmcp_config_unset": (err, [P, c_char_p]),
    "pcfmcp_config_load_file": (err, [P, c_char_p]),
    "pcfmcp_config_load_env": (err, [P]),
    "pcfmcp_config_resolve_secrets": (err, [P]),
    "pcfmcp_config_get": (c_char_p, [P, c_char_p]),
    "pcfmcp_config_get_int": (c_longlong, [P, c_char_p]),
    "pcfmcp_config_get_double": (c_double, [P, c_char_p]),
    "pcfmcp_config_get_bool": (c_int, [P, c_char_p]),
    "pcfmcp_config_source": (c_int, [P, c_char_p]),
    "pcfmcp_config_dump": (err, [P, PP]),
    "pcfmcp_config_check": (err, [P]),
    "pcfmcp_config_warnings": (c_char_p, [P]),
    "pcfmcp_config_errmsg": (c_char_p, [P]),
    "pcfmcp_config_key_count": (c_size_t, []),
    "pcfmcp_config_key_info": (
        err,
        [c_size_t, c_char_p_p, c_int_p, c_char_p_p, c_char_p_p, c_char_p_p, c_char_p_p],
    ),
    "pcfmcp_config_key_choices": (c_char_p, [c_char_p]),
    "pcfmcp_config_suggest_flag": (c_char_p, [c_char_p, c_size_t, c_char_p_p, c_size_t]),
    "pcfmcp_config_key_reloadable": (c_int, [c_char_p]),
    # engine.h
    "pcfmcp_engine_new": (err, [PP, c_char_p, c_char_p]),
    "pcfmcp_engine_free": (None, [P]),
    "pcfmcp_engine_errmsg": (c_char_p, [P]),
    "pcfmcp_engine_set_logger": (err, [P, P]),
    "pcfmcp_engine_set_info": (err, [P, c_char_p]),
    "pcfmcp_engine_set_instructions": (err, [P, c_char_p]),
    "pcfmcp_engine_set_page_size": (err, [P, c_uint]),
    "pcfmcp_engine_set_limits": (err, [P, c_uint, c_uint]),
    "pcfmcp_engine_set_threads": (err, [P, c_uint, c_uint]),
    "pcfmcp_engine_set_request_timeout": (err, [P, c_uint]),
    "pcfmcp_engine_set_cache_hint": (err, [P, c_char_p, c_uint, c_char_p]),
    "pcfmcp_engine_set_validate_output": (err, [P, c_int]),
    "pcfmcp_engine_set_hooks": (err, [P, BEFORE_HOOK_CB, AFTER_HOOK_CB, c_void_p]),
    "pcfmcp_engine_add_tool": (err, [P, c_char_p, TOOL_CB, c_void_p]),
    "pcfmcp_engine_remove_tool": (err, [P, c_char_p]),
    "pcfmcp_engine_batch_begin": (err, [P]),
    "pcfmcp_engine_batch_end": (err, [P]),
    "pcfmcp_engine_withhold_tool": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_engine_tool_count": (c_size_t, [P]),
    "pcfmcp_engine_tools_json": (err, [P, PP]),
    "pcfmcp_engine_add_resource": (err, [P, c_char_p, RESOURCE_CB, c_void_p]),
    "pcfmcp_engine_add_resource_template": (err, [P, c_char_p, RESOURCE_CB, c_void_p]),
    "pcfmcp_engine_add_prompt": (err, [P, c_char_p, PROMPT_CB, c_void_p]),
    "pcfmcp_engine_add_completion": (err, [P, c_char_p, c_char_p, COMPLETE_CB, c_void_p]),
    "pcfmcp_engine_enable_subscriptions": (err, [P]),
    "pcfmcp_engine_notify_resource_updated": (err, [P, c_char_p]),
    "pcfmcp_engine_capabilities_json": (err, [P, PP]),
    "pcfmcp_engine_answer": (err, [P, c_char_p, c_size_t, PP]),
    # args.h
    "pcfmcp_args_get_string": (err, [c_char_p, c_size_t, c_char_p, PP]),
    "pcfmcp_args_get_int": (err, [c_char_p, c_size_t, c_char_p, c_longlong_p]),
    "pcfmcp_args_get_number": (err, [c_char_p, c_size_t, c_char_p, c_double_p]),
    "pcfmcp_args_get_bool": (err, [c_char_p, c_size_t, c_char_p, c_int_p]),
    "pcfmcp_args_get_json": (err, [c_char_p, c_size_t, c_char_p, PP]),
    "pcfmcp_engine_handle": (err, [P, P, c_char_p, c_size_t, EMIT_CB, c_void_p, c_int_p]),
    "pcfmcp_session_new": (err, [PP, P, c_uint]),
    "pcfmcp_session_free": (None, [P]),
    "pcfmcp_session_set_notify": (err, [P, EMIT_CB, c_void_p]),
    "pcfmcp_session_set_identity": (err, [P, c_char_p]),
    "pcfmcp_session_set_id": (err, [P, c_char_p]),
    "pcfmcp_session_set_protocol_version": (err, [P, c_char_p]),
    "pcfmcp_session_protocol_version": (c_char_p, [P]),
    "pcfmcp_session_is_initialized": (c_int, [P]),
    "pcfmcp_session_cancel_all": (None, [P]),
    "pcfmcp_session_inflight": (c_size_t, [P]),
    "pcfmcp_ctx_session_id": (c_char_p, [P]),
    "pcfmcp_ctx_identity": (c_char_p, [P]),
    "pcfmcp_ctx_protocol_version": (c_char_p, [P]),
    "pcfmcp_ctx_method": (c_char_p, [P]),
    "pcfmcp_ctx_request_id": (c_char_p, [P]),
    "pcfmcp_ctx_client_capabilities": (c_char_p, [P]),
    "pcfmcp_ctx_client_info": (c_char_p, [P]),
    "pcfmcp_ctx_meta": (c_char_p, [P]),
    "pcfmcp_ctx_is_cancelled": (c_int, [P]),
    "pcfmcp_ctx_traceparent": (c_char_p, [P]),
    "pcfmcp_ctx_tracestate": (c_char_p, [P]),
    "pcfmcp_ctx_set_trace": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_ctx_progress": (err, [P, c_double, c_double, c_char_p]),
    "pcfmcp_ctx_log": (err, [P, c_char_p, c_char_p, c_char_p]),
    "pcfmcp_ctx_request": (err, [P, c_char_p, c_char_p, PP]),
    "pcfmcp_ctx_errmsg": (c_char_p, [P]),
    "pcfmcp_ctx_set_refusal": (err, [P, c_char_p]),
    "pcfmcp_result_add_text": (err, [P, c_char_p, c_size_t]),
    "pcfmcp_result_add_image": (err, [P, c_char_p, c_size_t, c_char_p]),
    "pcfmcp_result_add_audio": (err, [P, c_char_p, c_size_t, c_char_p]),
    "pcfmcp_result_add_embedded_text": (err, [P, c_char_p, c_char_p, c_char_p, c_size_t]),
    "pcfmcp_result_add_embedded_blob": (err, [P, c_char_p, c_char_p, c_char_p, c_size_t]),
    "pcfmcp_result_add_resource_link": (err, [P, c_char_p]),
    "pcfmcp_result_add_content_json": (err, [P, c_char_p]),
    "pcfmcp_result_set_structured": (err, [P, c_char_p, c_size_t]),
    "pcfmcp_result_set_error": (err, [P, c_char_p]),
    "pcfmcp_result_set_meta": (err, [P, c_char_p]),
    "pcfmcp_result_add_contents_text": (err, [P, c_char_p, c_char_p, c_char_p, c_size_t]),
    "pcfmcp_result_add_contents_blob": (err, [P, c_char_p, c_char_p, c_char_p, c_size_t]),
    "pcfmcp_result_set_description": (err, [P, c_char_p]),
    "pcfmcp_result_add_message": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_result_add_message_text": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_result_add_completion": (err, [P, c_char_p]),
    "pcfmcp_result_set_completion_total": (err, [P, c_long, c_int]),
    # stdio.h
    "pcfmcp_stdio_new": (err, [PP, P, c_int, c_int]),
    "pcfmcp_stdio_free": (None, [P]),
    "pcfmcp_stdio_set_max_line": (err, [P, c_size_t]),
    "pcfmcp_stdio_set_logger": (err, [P, P]),
    "pcfmcp_stdio_set_identity": (err, [P, c_char_p]),
    "pcfmcp_stdio_set_grace": (err, [P, c_uint]),
    "pcfmcp_stdio_run": (err, [P]),
    "pcfmcp_stdio_stop": (None, [P]),
    # server.h
    "pcfmcp_server_check_config": (err, [P, PP]),
    "pcfmcp_server_new": (err, [PP, P]),
    "pcfmcp_server_free": (None, [P]),
    "pcfmcp_server_errmsg": (c_char_p, [P]),
    "pcfmcp_server_logger": (P, [P]),
    "pcfmcp_server_engine": (P, [P]),
    "pcfmcp_server_run": (err, [P]),
    "pcfmcp_server_stop": (None, [P]),
    "pcfmcp_server_reload": (err, [P, P]),
    # tools.h
    "pcfmcp_toolset_new": (err, [PP]),
    "pcfmcp_toolset_new_from_config": (err, [PP, P]),
    "pcfmcp_toolset_free": (None, [P]),
    "pcfmcp_toolset_errmsg": (c_char_p, [P]),
    "pcfmcp_toolset_set_pcf": (err, [P, P]),
    "pcfmcp_toolset_set_resolver": (err, [P, RESOLVE_CB, c_void_p]),
    "pcfmcp_toolset_set_logger": (err, [P, P]),
    "pcfmcp_toolset_set_read_only": (err, [P, c_int]),
    "pcfmcp_toolset_set_enable_destructive": (err, [P, c_int]),
    "pcfmcp_toolset_set_toolsets": (err, [P, c_char_p]),
    "pcfmcp_toolset_set_dynamic": (err, [P, c_int]),
    "pcfmcp_toolset_set_allow": (err, [P, c_char_p]),
    "pcfmcp_toolset_set_deny": (err, [P, c_char_p]),
    "pcfmcp_toolset_set_projects": (err, [P, c_char_p]),
    "pcfmcp_toolset_set_default_project": (err, [P, c_char_p]),
    "pcfmcp_toolset_set_max_response_bytes": (err, [P, c_size_t]),
    "pcfmcp_toolset_set_max_field_chars": (err, [P, c_size_t]),
    "pcfmcp_toolset_set_report_dir": (err, [P, c_char_p]),
    "pcfmcp_toolset_set_imports": (err, [P, c_char_p, c_size_t, c_char_p]),
    "pcfmcp_toolset_register": (err, [P, P]),
    "pcfmcp_toolset_known_tools": (err, [PP]),
    "pcfmcp_pcf_operations": (err, [PP]),
    # auth.h
    "pcfmcp_audit_new": (err, [PP]),
    "pcfmcp_audit_free": (None, [P]),
    "pcfmcp_audit_errmsg": (c_char_p, [P]),
    "pcfmcp_audit_open": (err, [P, c_char_p]),
    "pcfmcp_audit_set_args_key": (err, [P, c_char_p, c_size_t]),
    "pcfmcp_audit_args_digest": (err, [P, c_char_p, c_size_t, PP]),
    "pcfmcp_audit_args_hash": (err, [c_char_p, c_size_t, PP]),
    "pcfmcp_audit_record": (
        err,
        [P, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p,
         c_char_p, c_double, c_char_p],
    ),
    "pcfmcp_audit_written": (ctypes.c_uint64, [P]),
    "pcfmcp_auth_new": (err, [PP, P]),
    "pcfmcp_auth_free": (None, [P]),
    "pcfmcp_auth_errmsg": (c_char_p, [P]),
    "pcfmcp_auth_load_api_keys": (err, [P, c_char_p, c_size_t_p]),
    "pcfmcp_auth_hash_key": (err, [c_char_p, PP]),
    "pcfmcp_auth_generate_key": (err, [PP]),
    "pcfmcp_auth_set_oauth": (err, [P, c_char_p, c_char_p, c_char_p, c_char_p]),
    "pcfmcp_auth_set_jwks_json": (err, [P, c_char_p]),
    "pcfmcp_auth_set_jwks_ca_file": (err, [P, c_char_p]),
    "pcfmcp_auth_set_jwks_limits": (err, [P, c_uint, c_uint, c_uint, c_size_t]),
    "pcfmcp_auth_set_clock_skew": (err, [P, c_uint]),
    "pcfmcp_auth_set_max_token_lifetime": (err, [P, c_uint]),
    "pcfmcp_auth_resource_metadata": (err, [P, c_char_p, PP]),
    "pcfmcp_auth_check": (
        c_int,
        [P, c_char_p, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_size_t],
    ),
    "pcfmcp_auth_www_authenticate": (err, [P, c_int, c_char_p, PP]),
    "pcfmcp_auth_enabled": (c_int, [P]),
    "pcfmcp_auth_oauth_enabled": (c_int, [P]),
    "pcfmcp_auth_verdict_name": (c_char_p, [c_int]),
    "pcfmcp_auth_verdict_http_status": (c_int, [c_int]),
    # identity.h
    "pcfmcp_identity_map_new": (err, [PP, P]),
    "pcfmcp_identity_map_free": (None, [P]),
    "pcfmcp_identity_map_errmsg": (c_char_p, [P]),
    "pcfmcp_identity_map_load": (err, [P, c_char_p, c_size_t_p]),
    "pcfmcp_identity_map_set_require_mapping": (err, [P, c_int]),
    "pcfmcp_identity_map_require_mapping": (c_int, [P]),
    "pcfmcp_identity_map_count": (c_size_t, [P]),
    "pcfmcp_identity_map_generation": (ctypes.c_ulong, [P]),
    "pcfmcp_identity_map_lookup": (err, [P, c_char_p, PP]),
    "pcfmcp_credentials_token": (c_char_p, [P]),
    "pcfmcp_credentials_email": (c_char_p, [P]),
    "pcfmcp_credentials_password": (c_char_p, [P]),
    "pcfmcp_credentials_free": (None, [P]),
    # pcf.h: client, settings, results
    "pcfmcp_pcf_new": (err, [PP, c_char_p, P]),
    "pcfmcp_pcf_new_sibling": (err, [PP, P]),
    "pcfmcp_pcf_free": (None, [P]),
    "pcfmcp_pcf_errmsg": (c_char_p, [P]),
    "pcfmcp_pcf_set_token": (err, [P, c_char_p]),
    "pcfmcp_pcf_set_login": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_pcf_set_token_duration": (err, [P, c_long]),
    "pcfmcp_pcf_set_ca_file": (err, [P, c_char_p]),
    "pcfmcp_pcf_set_ca_dir": (err, [P, c_char_p]),
    "pcfmcp_pcf_set_insecure": (err, [P, c_int]),
    "pcfmcp_pcf_set_client_cert": (err, [P, c_char_p, c_char_p, c_char_p]),
    "pcfmcp_pcf_set_basic_auth": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_pcf_set_timeouts": (err, [P, c_long, c_long, c_long]),
    "pcfmcp_pcf_set_max_body": (err, [P, c_size_t]),
    "pcfmcp_pcf_set_retry": (err, [P, c_int, c_long, c_long]),
    "pcfmcp_pcf_set_channel": (err, [P, c_char_p, c_char_p]),
    "pcfmcp_pcf_set_allow_api_issue_writes": (err, [P, c_int]),
    "pcfmcp_pcf_set_token_state_file": (err, [P, c_char_p]),
    "pcfmcp_pcf_set_observer": (err, [P, PCF_OBSERVER_CB, c_void_p]),
    "pcfmcp_pcf_token_expiry": (c_int64, [P]),
    "pcfmcp_pcf_capability": (err, [P, c_char_p, c_char_p_p]),
    "pcfmcp_pcf_result_json": (c_void_p, [P, c_size_t_p]),
    "pcfmcp_pcf_result_http_status": (c_int, [P]),
    "pcfmcp_pcf_result_error": (err, [P]),
    "pcfmcp_pcf_result_message": (c_char_p, [P]),
    "pcfmcp_pcf_result_pcf_errors": (c_char_p, [P]),
    "pcfmcp_pcf_result_attempts": (c_int, [P]),
    "pcfmcp_pcf_result_data": (c_void_p, [P, c_size_t_p]),
    "pcfmcp_pcf_result_filename": (c_char_p, [P]),
    "pcfmcp_pcf_result_content_type": (c_char_p, [P]),
    "pcfmcp_pcf_result_free": (None, [P]),
}

# pcf.h request functions: name -> argument types between the client and
# the result out-parameter. Every one returns pcfmcp_error_t.
s, l, i, z = c_char_p, c_long, c_int, c_size_t
PCF_CALLS = {
    "check": [],
    "token_create": [s, s, s, l],
    "token_check": [],
    "token_disable": [],
    "user_me": [],
    "user_info": [s],
    "teams_list": [],
    "team_info": [s],
    "team_users": [s],
    "team_projects": [s],
    "team_logs": [s, l, l],
    "team_update": [s, s],
    "team_user_add": [s, s, i],
    "team_user_set_admin": [s, s],
    "team_user_devote": [s, s],
    "team_user_delete": [s, s],
    "projects_list": [],
    "project_create": [s, s],
    "project_settings": [s],
    "project_update": [s, s],
    "hosts_list": [s],
    "host_info": [s, s],
    "host_create": [s, s, s],
    "host_update": [s, s, s],
    "host_delete": [s, s],
    "port_create": [s, s, i, i, s],
    "port_info": [s, s],
    "port_update": [s, s, s],
    "port_delete": [s, s],
    "hostnames_list": [s],
    "hostname_add": [s, s, s, s],
    "networks_list": [s],
    "network_info": [s, s],
    "network_create": [s, s, i, s],
    "network_update": [s, s, s],
    "network_delete": [s, s],
    "issues_list": [s],
    "issues_search": [s, s],
    "issue_info": [s, s],
    "issue_create": [s, s, s],
    "issue_update": [s, s, s],
    "issue_delete": [s, s],
    "poc_add": [s, s, s, z, s, s],
    "poc_info": [s, s, s],
    "poc_delete": [s, s, s],
    "rules_list": [s],
    "rules_use": [s, c_char_p_p, z, c_char_p_p, z],
    "swagger": [],
    "project_snapshot": [s],
    "credentials_list": [s],
    "credential_create": [s, s, s],
    "credential_update": [s, s, s],
    "credential_delete": [s, s],
    "notes_list": [s],
    "note_create": [s, s, s, s],
    "note_update": [s, s, s],
    "note_rename": [s, s, s],
    "note_delete": [s, s],
    "nmap_import": [s, s, z, s],
    "scan_import": [s, s, s, z, s],
    "report_render": [s, s, s, z, s, s],
    # pcfmcp_pcf_call(pcf, operation, args_json, out): every operation by name.
    "call": [s, s],
}
del s, l, i, z

for _name, (_res, _args) in _PROTOTYPES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args
for _name, _args in PCF_CALLS.items():
    _f = getattr(lib, "pcfmcp_pcf_" + _name)
    _f.restype = err
    _f.argtypes = [P] + _args + [PP]
del _name, _res, _args, _f


# ------------------------------------------------------------------ helpers
def enc(value, what="argument"):
    """str -> NUL-terminated UTF-8 bytes for a ``const char *``; None stays NULL."""
    if value is None:
        return None
    if isinstance(value, bytes):
        b = value
    elif isinstance(value, str):
        b = value.encode("utf-8")
    else:
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if b"\0" in b:
        # C would silently cut the string at the NUL.
        raise ValueError("%s contains a NUL character" % what)
    return b


def dec(value):
    """A borrowed ``const char *`` (bytes from ctypes) -> str; NULL -> None."""
    if value is None:
        return None
    return value.decode("utf-8", "replace")


def take_string(ptr):
    """Copies a ``char *`` the caller owns into a str and frees it with pcfmcp_free()."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.pcfmcp_free(ptr)


def ptr_text(ptr, length):
    """A borrowed (pointer, length) pair -> str."""
    if not ptr:
        return None
    return ctypes.string_at(ptr, length).decode("utf-8", "replace")
