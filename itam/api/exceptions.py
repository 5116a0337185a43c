"""One exception handler: every error under /api becomes the error envelope (API.md §1.4)."""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from itam import errors as domain

from .renderers import envelope

logger = logging.getLogger("itam.api")


class Conflict(exceptions.APIException):
    """A business-rule conflict (422): duplicate, GPU not free, still referenced, ..."""

    status_code = 422
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, errors=None):
        super().__init__(detail)
        self.errors = errors


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class DatabaseBusy(exceptions.APIException):
    """A lock wait that timed out (SQLite's busy timeout behind a long import, PostgreSQL's
    lock_timeout): nothing was written; the same request may succeed a moment later."""

    status_code = 503
    default_detail = "The database is busy; try again in a few seconds."
    default_code = "database_busy"
    wait = 5  # seconds, sent as Retry-After


# SQLite's messages for a lock wait that ran out; PostgreSQL's SQLSTATE lock_not_available.
_SQLITE_LOCKED = ("database is locked", "database table is locked", "database is busy")
_PG_LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(exc):
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == _PG_LOCK_NOT_AVAILABLE \
        or str(exc).startswith(_SQLITE_LOCKED)


MESSAGES = {
    400: "Validation failed.",
    401: "Authentication required.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body is too large.",
    503: DatabaseBusy.default_detail,
    415: "Unsupported media type.",
    422: "The request conflicts with the current state.",
    429: "Too many requests.",
    500: "Internal server error.",
}


def flatten_errors(detail, prefix=""):
    """DRF's nested error detail -> {"a.0.b": ["msg", ...]} (dotted keys, list indices)."""
    out = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            out.update(flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, [], None):
                    continue
                out.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def error_response(status_code, message=None, errors=None, headers=None, data=None):
    body = envelope(data, message or MESSAGES.get(status_code, "Error."), code=status_code)
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.enveloped = True
    return response


def _message(exc, fallback):
    detail = getattr(exc, "detail", None)
    if isinstance(detail, str) and detail:
        return str(detail)
    return fallback


def from_domain(exc):
    """The API exception for a service's domain exception (itam.errors)."""
    if isinstance(exc, domain.NotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, domain.Invalid):
        return exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]})
    if isinstance(exc, domain.Unauthenticated):
        return exceptions.AuthenticationFailed(exc.message)
    if isinstance(exc, domain.Forbidden):
        return exceptions.PermissionDenied(exc.message)
    return Conflict(exc.message, errors=exc.errors)


def envelope_exception_handler(exc, context):
    if isinstance(exc, domain.DomainError):
        exc = from_domain(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, (DjangoPermissionDenied,)):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError("too many fields.")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict("This object is still referenced and cannot be deleted.")
    elif is_lock_timeout(exc):
        exc = DatabaseBusy()

    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled API error", exc_info=exc)
        return error_response(500)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))

    code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        return error_response(400, MESSAGES[400], flatten_errors(exc.detail) or None, headers)
    if isinstance(exc, exceptions.ParseError):
        return error_response(400, "Malformed request body: " + _message(exc, "could not parse it."), headers=headers)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return error_response(400, _message(exc, MESSAGES[415]), headers=headers)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = status.HTTP_401_UNAUTHORIZED
        message = _message(exc, MESSAGES[401]) if isinstance(exc, exceptions.AuthenticationFailed) else MESSAGES[401]
        return error_response(code, message, headers=headers)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response(405, _message(exc, MESSAGES[405]), headers=headers)
    if isinstance(exc, exceptions.Throttled):
        return error_response(429, "Too many attempts. Try again later.", headers=headers)
    errors = getattr(exc, "errors", None)
    return error_response(code, _message(exc, MESSAGES.get(code, "Error.")), errors, headers)
