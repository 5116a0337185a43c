"""Request context for the audit trail and the X-Request-ID header (API.md §1.8, §6.3)."""
import ipaddress
import re
import uuid

from django.conf import settings

from . import context

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
API_PATH = re.compile(r"^/api(/|$)")
USER_AGENT_MAX = 256


def _trusted_networks():
    networks = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return networks


def client_ip(request, trusted=None):
    """The socket address; X-Forwarded-For only when the socket peer is a trusted proxy.

    Walks the X-Forwarded-For chain from the right, skipping trusted proxies, so a client
    cannot forge its address by sending the header itself.
    """
    trusted = _trusted_networks() if trusted is None else trusted
    remote = request.META.get("REMOTE_ADDR") or None

    def is_trusted(ip):
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in trusted)

    if remote and trusted and is_trusted(remote):
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        for hop in reversed(forwarded):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break
            if not is_trusted(hop):
                return hop
            remote = hop
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None


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
