"""Request guards that must run before any view reads the body.

DRF parses JSON straight from the input stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
never sees it; this middleware enforces the size limit from Content-Length up front,
before a byte of the body is read. A body without a Content-Length (chunked transfer
encoding), which Django would read as empty (a PUT answering a no-op 200), is read here up
to the same limit when the server has decoded it (gunicorn: ``wsgi.input_terminated``),
and refused with 411 where it cannot be read to its end.
"""
import io

from django.core.handlers.wsgi import LimitedStream
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


LENGTH_REQUIRED = "A request body must be sent with a Content-Length header here."


def refusal(path, code, message):
    if is_api_path(path):
        return error_envelope_response(code, message)
    return HttpResponse(message, status=code, content_type="text/plain; charset=utf-8")


def measure(request, body):
    """Give ``request`` the body it was sent in chunks, as if it had come with a length."""
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._stream = LimitedStream(io.BytesIO(body), len(body))


def unmeasured_body(request):
    """True when the body is sent in a transfer coding and no Content-Length declares it."""
    return bool(request.META.get("HTTP_TRANSFER_ENCODING", "").strip()) and not request.META.get("CONTENT_LENGTH")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if unmeasured_body(request):
            if not request.environ.get("wsgi.input_terminated"):
                return refusal(request.path, 411, LENGTH_REQUIRED)
            body = request.environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return refusal(request.path, 413, MESSAGES[413])
            measure(request, body)
        if declared_length(request) > limit:
            return refusal(request.path, 413, MESSAGES[413])
        return self.get_response(request)
