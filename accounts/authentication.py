"""JWT authentication whose tokens can be revoked server-side (API.md §1.8).

A token is rejected when its user is inactive or gone, when it was issued before the
user's ``tokens_valid_after`` (password change, deactivation), or when its ``jti`` is on
the revocation list (logout, refresh rotation). The list lives in the shared cache, so
every application process sees the same revocations.
"""
from datetime import datetime, timezone

from django.core.cache import cache
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from audit import context

REVOKED_PREFIX = "itam:revoked-jti:"


def revoke_jti(jti, expires_at_ts):
    """Put a token id on the revocation list until the token would expire anyway."""
    ttl = max(1, int(expires_at_ts - datetime.now(timezone.utc).timestamp()) + 1)
    cache.set(REVOKED_PREFIX + jti, 1, timeout=ttl)


def is_revoked(jti):
    return cache.get(REVOKED_PREFIX + str(jti)) is not None


def token_is_current(token, user):
    """False when the token predates the user's last password change or deactivation."""
    if user.tokens_valid_after is None:
        return True
    issued = token.get("iat")
    return issued is not None and issued >= int(user.tokens_valid_after.timestamp())


class RevocableJWTAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        try:
            result = super().authenticate(request)
        except (InvalidToken, TokenError):
            raise exceptions.AuthenticationFailed("Token is invalid or expired.")
        if result is None:
            return None
        user, token = result
        if is_revoked(token.get("jti")) or not token_is_current(token, user):
            raise exceptions.AuthenticationFailed("Token has been revoked.")
        context.set_user(user)
        return user, token

    def get_user(self, validated_token):
        try:
            user = super().get_user(validated_token)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed("Token is invalid or expired.")
        except InvalidToken:
            raise exceptions.AuthenticationFailed("Token is invalid or expired.")
        return user


class SessionAuthentication(authentication.SessionAuthentication):
    """Django session (browser downloads, admin staff). Unsafe methods still need CSRF."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            context.set_user(result[0])
        return result
