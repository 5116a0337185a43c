"""The response envelope: {"code", "message", "data"[, "pagination"][, "errors"]}.

Views return plain DRF responses; a view may set ``response.message`` (writes) and the
paginator sets ``response.pagination``. Error envelopes are built whole by the exception
handler and marked ``response.enveloped`` so they pass through unchanged.
"""
from django.http import JsonResponse
from rest_framework.renderers import JSONRenderer


def envelope(data=None, message="success", code=0, **extra):
    body = {"code": code, "message": message, "data": data}
    body.update(extra)
    return body


def is_api_path(path):
    return path == "/api" or path.startswith("/api/")


def error_envelope_response(code, message, headers=None):
    """An error envelope answered outside DRF (middleware, Django's error handlers)."""
    return JsonResponse(envelope(None, message, code=code), status=code, headers=headers,
                        json_dumps_params={"separators": (",", ":")})


class EnvelopeRenderer(JSONRenderer):
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "enveloped", False):
            extra = {}
            pagination = getattr(response, "pagination", None)
            if pagination is not None:
                extra["pagination"] = pagination
            data = envelope(data, getattr(response, "message", "success"), **extra)
        return super().render(data, accepted_media_type, renderer_context)
