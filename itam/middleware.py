"""Request guards that must run before any view reads the body.

DRF parses JSON straight from the input stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
never sees it; this middleware enforces the size limit from Content-Length up front,
before a byte of the body is read.
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


def too_large_response(path):
    if is_api_path(path):
        return error_envelope_response(413, MESSAGES[413])
    return HttpResponse(MESSAGES[413], status=413, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if declared_length(request) > body_limit(request.META.get("CONTENT_TYPE", "")):
            return too_large_response(request.path)
        return self.get_response(request)
