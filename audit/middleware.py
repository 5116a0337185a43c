"""Request context for the audit trail and the X-Request-ID header (API.md §1.8, §6.3)."""
import re
import uuid

from itam.net import client_ip

from . import context

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
API_PATH = re.compile(r"^/api(/|$)")
USER_AGENT_MAX = 256


def request_id_for(request):
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if REQUEST_ID_RE.match(given) else str(uuid.uuid4())


class RequestContextMiddleware:
    """Sets the change context for the request and echoes X-Request-ID on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request)
        request.request_id = request_id
        # The API authenticates each request itself (JWT, or the session for downloads) and
        # then sets the context's user; reading request.user here would load the session and
        # its user for every API call that carries the browser's session cookie.
        user = None if API_PATH.match(request.path_info) else getattr(request, "user", None)
        ctx = context.ChangeContext(
            user=user if user is not None and user.is_authenticated else None,
            username=user.username if user is not None and user.is_authenticated else "anonymous",
            ip_address=client_ip(request),
            user_agent=(request.META.get("HTTP_USER_AGENT") or None) and request.META["HTTP_USER_AGENT"][:USER_AGENT_MAX],
            request_id=request_id,
        )
        with context.use_context(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
