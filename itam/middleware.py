"""Request guards that must run before any view reads the body.

DRF parses JSON straight from the input stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
never sees it; this middleware enforces the size limit from Content-Length up front,
before a byte of the body is read. A body without a Content-Length (chunked transfer
encoding) is refused with 411: Django reads such a body as empty, so a PUT would answer a
no-op 200, and its size could not be checked before reading.
"""
from django.conf import settings
from django.http import HttpResponse

from itam.api.exceptions import MESSAGES
from itam.api.renderers import error_envelope_response, is_api_path

# Multipart framing (boundaries, part headers, the `overwrite` field) around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def body_limit(content_type):
    """Uploads stream to disk and may be as large as an import file; every other body is
    parsed in memory and limited to DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if content_type.lower().startswith("multipart/form-data"):
        return settings.IMPORT_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def declared_length(request):
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


LENGTH_REQUIRED = "A request body must be sent with a Content-Length header (chunked bodies are not accepted)."


def refusal(path, code, message):
    if is_api_path(path):
        return error_envelope_response(code, message)
    return HttpResponse(message, status=code, content_type="text/plain; charset=utf-8")


def unmeasured_body(request):
    """True when the body is sent in a transfer coding and no Content-Length declares it."""
    return bool(request.META.get("HTTP_TRANSFER_ENCODING", "").strip()) and not request.META.get("CONTENT_LENGTH")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if unmeasured_body(request):
            return refusal(request.path, 411, LENGTH_REQUIRED)
        if declared_length(request) > body_limit(request.META.get("CONTENT_TYPE", "")):
            return refusal(request.path, 413, MESSAGES[413])
        return self.get_response(request)
