"""Auth (include/pcfmcp/auth.h) and IdentityMap (identity.h): who may call,
and which PCF account acts for them.

Thread rules: every function may be called from any thread at any time;
configuration calls are serialised, checks never wait for them.
"""

import collections
import ctypes
import enum
import json

from ._handle import Handle
from ._lib import dec, enc, lib, take_string
from .errors import check
from .pcf import global_cleanup, global_init

IDENTITY_MAX = 256
SCOPES_MAX = 1024
DETAIL_MAX = 256
KEY_MIN = 16


class Verdict(enum.IntEnum):
    ALLOW = 0
    MISSING = 1
    INVALID = 2
    EXPIRED = 3
    INSUFFICIENT_SCOPE = 4
    UNAVAILABLE = 5

    @property
    def label(self):
        """pcfmcp_auth_verdict_name(): "allow", "missing", ..."""
        return dec(lib.pcfmcp_auth_verdict_name(int(self)))

    @property
    def http_status(self):
        """The HTTP status a transport answers with: 200, 401, 403 or 503."""
        return lib.pcfmcp_auth_verdict_http_status(int(self))


AuthResult = collections.namedtuple("AuthResult", "verdict identity scopes detail")
AuthResult.__doc__ = """What :meth:`Auth.check` found: ``identity`` is ``key:<name>``
or ``jwt:<sub>`` on ALLOW ("" otherwise), ``scopes`` a list, ``detail`` a reason safe to log."""

Credentials = collections.namedtuple("Credentials", "token email password")


def hash_key(key):
    """The keys-file form of an API key: ``sha256:<64 hex>``."""
    out = ctypes.c_void_p()
    check(lib.pcfmcp_auth_hash_key(enc(key, "key"), ctypes.byref(out)))
    return take_string(out.value)


def generate_key():
    """A new random API key (``pcfmcp_`` + 43 base64url characters)."""
    out = ctypes.c_void_p()
    check(lib.pcfmcp_auth_generate_key(ctypes.byref(out)))
    return take_string(out.value)


class Auth(Handle):
    """An authenticator; nothing accepted until keys or OAuth are configured."""

    _shutdown_order = 70

    def __init__(self, logger=None):
        self._logger = logger
        global_init()
        out = ctypes.c_void_p()
        rc = lib.pcfmcp_auth_new(ctypes.byref(out), logger._p() if logger else None)
        if rc != 0:
            global_cleanup()
            check(rc)
        self._adopt(out.value)

    def _release(self, ptr):
        lib.pcfmcp_auth_free(ptr)
        global_cleanup()

    def _errmsg(self):
        return dec(lib.pcfmcp_auth_errmsg(self._ptr)) if self._ptr else None

    @property
    def errmsg(self):
        return self._errmsg()

    def load_api_keys(self, path):
        """Loads (or with None removes) the API keys file; returns the key count."""
        n = ctypes.c_size_t()
        check(lib.pcfmcp_auth_load_api_keys(self._p(), enc(path), ctypes.byref(n)), self._errmsg)
        return n.value

    def set_oauth(self, issuer, audience=None, jwks_url=None, required_scopes=None):
        if isinstance(required_scopes, (list, tuple)):
            required_scopes = " ".join(required_scopes)
        check(
            lib.pcfmcp_auth_set_oauth(
                self._p(), enc(issuer), enc(audience), enc(jwks_url), enc(required_scopes)
            ),
            self._errmsg,
        )

    def set_jwks_json(self, jwks):
        if not isinstance(jwks, str):
            jwks = json.dumps(jwks)
        check(lib.pcfmcp_auth_set_jwks_json(self._p(), enc(jwks)), self._errmsg)

    def set_jwks_ca_file(self, path):
        check(lib.pcfmcp_auth_set_jwks_ca_file(self._p(), enc(path)), self._errmsg)

    def set_jwks_limits(self, ttl_seconds=300, min_refetch_seconds=30, timeout_ms=5000,
                        max_bytes=262144):
        check(
            lib.pcfmcp_auth_set_jwks_limits(
                self._p(), ttl_seconds, min_refetch_seconds, timeout_ms, max_bytes
            ),
            self._errmsg,
        )

    def set_clock_skew(self, seconds):
        check(lib.pcfmcp_auth_set_clock_skew(self._p(), seconds), self._errmsg)

    def set_max_token_lifetime(self, seconds):
        """Longest lifetime an access token may claim (0: no cap)."""
        check(lib.pcfmcp_auth_set_max_token_lifetime(self._p(), seconds), self._errmsg)

    def resource_metadata(self, resource_url=None):
        """RFC 9728 Protected Resource Metadata (a dict)."""
        out = ctypes.c_void_p()
        check(
            lib.pcfmcp_auth_resource_metadata(self._p(), enc(resource_url), ctypes.byref(out)),
            self._errmsg,
        )
        return json.loads(take_string(out.value))

    def check(self, authorization):
        """Checks an ``Authorization`` header value (None when absent)."""
        ident = ctypes.create_string_buffer(IDENTITY_MAX)
        scopes = ctypes.create_string_buffer(SCOPES_MAX)
        detail = ctypes.create_string_buffer(DETAIL_MAX)
        v = lib.pcfmcp_auth_check(
            self._p(), enc(authorization), ident, IDENTITY_MAX, scopes, SCOPES_MAX, detail,
            DETAIL_MAX,
        )
        return AuthResult(
            Verdict(v),
            dec(ident.value),
            dec(scopes.value).split(),
            dec(detail.value),
        )

    def www_authenticate(self, verdict, resource_metadata_url=None):
        out = ctypes.c_void_p()
        check(
            lib.pcfmcp_auth_www_authenticate(
                self._p(), int(verdict), enc(resource_metadata_url), ctypes.byref(out)
            ),
            self._errmsg,
        )
        return take_string(out.value)

    @property
    def enabled(self):
        return bool(lib.pcfmcp_auth_enabled(self._p()))

    @property
    def oauth_enabled(self):
        return bool(lib.pcfmcp_auth_oauth_enabled(self._p()))


class IdentityMap(Handle):
    """Per-person PCF credentials keyed by the identity :meth:`Auth.check` yields."""

    _shutdown_order = 70

    def __init__(self, logger=None):
        self._logger = logger
        out = ctypes.c_void_p()
        check(lib.pcfmcp_identity_map_new(ctypes.byref(out), logger._p() if logger else None))
        self._adopt(out.value)

    def _release(self, ptr):
        lib.pcfmcp_identity_map_free(ptr)

    def _errmsg(self):
        return dec(lib.pcfmcp_identity_map_errmsg(self._ptr)) if self._ptr else None

    @property
    def errmsg(self):
        return self._errmsg()

    def load(self, path):
        """Loads (None: empties) the map; returns the number of identities."""
        n = ctypes.c_size_t()
        check(lib.pcfmcp_identity_map_load(self._p(), enc(path), ctypes.byref(n)), self._errmsg)
        return n.value

    @property
    def require_mapping(self):
        return bool(lib.pcfmcp_identity_map_require_mapping(self._p()))

    @require_mapping.setter
    def require_mapping(self, require):
        check(lib.pcfmcp_identity_map_set_require_mapping(self._p(), int(bool(require))))

    def __len__(self):
        return lib.pcfmcp_identity_map_count(self._p())

    @property
    def generation(self):
        return lib.pcfmcp_identity_map_generation(self._p())

    def lookup(self, identity):
        """The :class:`Credentials` of ``identity``; PcfmcpError NOT_FOUND (use the
        server's own) or DENIED (mapping required) otherwise."""
        out = ctypes.c_void_p()
        check(lib.pcfmcp_identity_map_lookup(self._p(), enc(identity), ctypes.byref(out)))
        try:
            return Credentials(
                dec(lib.pcfmcp_credentials_token(out.value)),
                dec(lib.pcfmcp_credentials_email(out.value)),
                dec(lib.pcfmcp_credentials_password(out.value)),
            )
        finally:
            lib.pcfmcp_credentials_free(out.value)
