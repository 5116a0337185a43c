import sys

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny

from .exceptions import MESSAGES, DatabaseBusy, is_lock_timeout
from .renderers import error_envelope_response, is_api_path

BAD_HOST = "Invalid Host header."
BAD_REQUEST = "Bad request."


@extend_schema(exclude=True)  # the catch-all is not an operation of the API
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
def route_not_found(request, *args, **kwargs):
    """Unknown paths under /api answer with the JSON error envelope, never HTML."""
    raise exceptions.NotFound("Not found.")


# Django's own error pages (handler400/handler500 in itam.urls) for what fails before or
# outside a DRF view, e.g. a Host header not in ALLOWED_HOSTS: the envelope under /api.

def bad_request(request, exception, *args, **kwargs):
    if is_api_path(request.path):
        return error_envelope_response(400, BAD_HOST if isinstance(exception, DisallowedHost) else BAD_REQUEST)
    return defaults.bad_request(request, exception, *args, **kwargs)


def server_error(request, *args, **kwargs):
    """500, or 503 with Retry-After when the error is a lock wait that timed out (in a
    middleware, an admin page): Django calls this while handling the exception."""
    if is_lock_timeout(sys.exc_info()[1]):
        busy = DatabaseBusy()
        headers = {"Retry-After": str(busy.wait)}
        if is_api_path(request.path):
            return error_envelope_response(503, busy.default_detail, headers=headers)
        return HttpResponse(busy.default_detail, status=503, content_type="text/plain; charset=utf-8", headers=headers)
    if is_api_path(request.path):
        return error_envelope_response(500, MESSAGES[500])
    return defaults.server_error(request, *args, **kwargs)
