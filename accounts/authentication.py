"""JWT and session authentication whose credentials can be revoked server-side (API.md §1.8).

Two mechanisms, both in the database so that every application process sees them at once
and nothing is lost to cache eviction:

- one token: its ``jti`` goes on simplejwt's blacklist (``token_blacklist`` tables; logout,
  refresh rotation). Access tokens use the same tables as refresh tokens; expired rows are
  pruned by ``manage.py flushexpiredtokens``.
- every token and session of a user: ``User.tokens_valid_after`` (password change,
  deactivation); a password change keeps the access token and the session of the request
  that made it (``User.kept_token_jti``, Django's ``update_session_auth_hash``). JWT ``iat``
  has one-second resolution, so tokens also carry ``iat_us``, the issue time in
  microseconds: a token issued earlier in the same second as the change is rejected while
  the pair issued right after it is accepted. Sessions end through Django's
  own session hash, which ``User`` derives from the password and ``tokens_valid_after``.
"""
import re
from datetime import datetime, timezone
from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import Exists
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from audit import context
from itam import errors
from itam.api.compiled.statements import SLOT_INT, SLOT_TEXT, Statement

ISSUED_AT_US_CLAIM = "iat_us"
INVALID_TOKEN = "Token is invalid or expired."
INVALID_REFRESH = "Refresh token is invalid or expired."
REVOKED_TOKEN = "Token has been revoked."

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_us(moment):
    """Microseconds since the epoch, in exact integer arithmetic."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def token_is_current(token, user):
    """False when the token predates the user's last password change or deactivation, unless
    it is the access token that made the password change (``User.kept_token_jti``)."""
    if user.tokens_valid_after is None:
        return True
    kept = user.kept_token_jti is not None and token_id(token) == user.kept_token_jti
    if kept and token.get(jwt_settings.TOKEN_TYPE_CLAIM) == "access":
        return True
    cutoff = epoch_us(user.tokens_valid_after)
    issued_us, issued_s = token.get(ISSUED_AT_US_CLAIM), token.get("iat")
    if _is_int(issued_us):
        return issued_us >= cutoff
    # Whole seconds only (a token minted without the claim): accept it from the next second on.
    return _is_int(issued_s) and issued_s > cutoff // 1_000_000


class RevokedTokenError(TokenError):
    pass


_JTI = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as simplejwt issues it
_LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: the last instant a datetime holds
_TIME_CLAIMS = {"exp": _LAST_SECOND, "iat": _LAST_SECOND, ISSUED_AT_US_CLAIM: _LAST_SECOND * 1_000_000}
_BIGINT_MAX = 2**63 - 1


def _is_user_id(value):
    """A user id as issued: a positive 64-bit integer, written with ASCII digits."""
    if _is_int(value):
        return 0 < value <= _BIGINT_MAX
    return isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 19 \
        and 0 < int(value) <= _BIGINT_MAX


def check_issued_claims(payload):
    """A validly signed token still holds only claims of the shapes this server issues: an
    odd one (a user id beyond 64 bits, a NUL in the jti, an exp past year 9999) would
    otherwise reach the database or datetime arithmetic and fail there (a 500)."""
    for claim, last in _TIME_CLAIMS.items():
        value = payload.get(claim)
        if value is not None and not (_is_int(value) and 0 <= value <= last):
            raise TokenError(INVALID_TOKEN)
    jti = payload.get(jwt_settings.JTI_CLAIM)
    if not (isinstance(jti, str) and _JTI.fullmatch(jti)):
        raise TokenError(INVALID_TOKEN)
    if not _is_user_id(payload.get(jwt_settings.USER_ID_CLAIM)):
        raise TokenError(INVALID_TOKEN)


class PreciseIssueTimeMixin:
    """Stamps new tokens with ``iat_us`` (see the module docstring); a token read back must
    have the claims' issued shapes before anything else looks at them."""

    def __init__(self, token=None, verify=True):
        super().__init__(token, verify)
        if token is None:
            self.payload[ISSUED_AT_US_CLAIM] = epoch_us(self.current_time)

    def verify(self):
        check_issued_claims(self.payload)
        super().verify()

    def check_blacklist(self):
        try:
            super().check_blacklist()
        except TokenError as exc:
            raise RevokedTokenError(REVOKED_TOKEN) from exc


class AccessToken(PreciseIssueTimeMixin, tokens.BlacklistMixin, tokens.AccessToken):
    """Access token that logout can blacklist; validation checks the blacklist (one query)."""


class _BearerAccessToken(AccessToken):
    """An access token validated for a request: signature, expiry and type here; the
    blacklist in the same query that loads the user (``RevocableJWTAuthentication.get_user``)."""

    def check_blacklist(self):
        pass


class RefreshToken(PreciseIssueTimeMixin, tokens.RefreshToken):
    access_token_class = AccessToken
    # Each token gets its own issue time rather than inheriting the refresh token's.
    no_copy_claims = (*tokens.RefreshToken.no_copy_claims, ISSUED_AT_US_CLAIM)


# --- token plumbing for accounts.services (which speaks no simplejwt) ----------------------

def token_user_id(token):
    """The user id a validated token names, or None when the claim is not an integer."""
    try:
        return int(token.get(jwt_settings.USER_ID_CLAIM))
    except (TypeError, ValueError):
        return None


def token_id(token):
    """A validated token's id (``jti``)."""
    return token.get(jwt_settings.JTI_CLAIM)


def parse_refresh(raw):
    """A validated refresh token; ``itam.errors.Unauthenticated`` when revoked or invalid."""
    try:
        return RefreshToken(raw)
    except RevokedTokenError:
        raise errors.Unauthenticated(REVOKED_TOKEN) from None
    except TokenError:
        raise errors.Unauthenticated(INVALID_REFRESH) from None


def refresh_or_none(raw):
    """A validated refresh token, or None for anything that is not one (logout ignores it)."""
    try:
        return RefreshToken(raw)
    except TokenError:
        return None


class RevocableJWTAuthentication(JWTAuthentication):
    """Bearer access tokens: signature, expiry, type, blacklist, user active, not revoked."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if not token_is_current(token, user):
            raise exceptions.AuthenticationFailed(REVOKED_TOKEN)
        context.set_user(user)
        return user, token

    def get_validated_token(self, raw_token):
        try:
            return _BearerAccessToken(raw_token)
        except TokenError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)

    def get_user(self, validated_token):
        """The token's user and whether the token is blacklisted, in one query."""
        try:
            user_id = int(validated_token.get(jwt_settings.USER_ID_CLAIM))
        except (TypeError, ValueError):
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        statement, columns = _user_statement()
        rows = statement.rows(user_id=user_id, jti=validated_token.get(jwt_settings.JTI_CLAIM))
        if not rows:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if rows[0]["token_blacklisted"]:
            raise exceptions.AuthenticationFailed(REVOKED_TOKEN)
        user = self.user_model.from_db(statement.alias, columns, [rows[0][name] for name in columns])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return user


@cache
def _user_statement():
    """The user row and whether a token id is blacklisted, compiled once per process (the
    ORM spends ~30x the query's own time building it): the statement and the columns."""
    user_model = get_user_model()
    columns = [field.attname for field in user_model._meta.concrete_fields]
    blacklisted = BlacklistedToken.objects.filter(token__jti=SLOT_TEXT)
    rows = user_model.objects.annotate(token_blacklisted=Exists(blacklisted)).filter(pk=SLOT_INT)
    return Statement(rows.values(*columns, "token_blacklisted"), slots={"user_id": SLOT_INT, "jti": SLOT_TEXT}), columns


class SessionAuthentication(authentication.SessionAuthentication):
    """Django session (browser downloads, admin staff). Unsafe methods still need CSRF; a
    revocation ends the session (see ``User._get_session_auth_hash``)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            context.set_user(result[0])
        return result


# How the OpenAPI schema describes the two (drf-spectacular finds them by their target class).
class RevocableJWTScheme(SimpleJWTScheme):
    """Bearer JWT (``Authorization: Bearer <access_token>``)."""

    target_class = RevocableJWTAuthentication


class ITAMSessionScheme(SessionScheme):
    target_class = SessionAuthentication
