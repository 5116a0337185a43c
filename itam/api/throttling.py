"""Login throttling (API.md §3.1): settings.LOGIN_THROTTLE_RATE attempts per (client IP,
username), counted in the shared Django cache (database cache, or Redis when REDIS_URL is
set) so that every application process draws on the same budget."""
import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from audit.middleware import client_ip


def login_throttle_ident(ip, username):
    """Cache-safe identity of one (IP, username) pair; usable by other login forms."""
    raw = f"{ip or '-'}\n{(username or '').strip()}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


class LoginRateThrottle(SimpleRateThrottle):
    scope = "login"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        data = request.data
        username = data.get("username") if hasattr(data, "get") else None
        username = username if isinstance(username, str) else ""
        return self.cache_format % {"scope": self.scope, "ident": login_throttle_ident(client_ip(request), username)}
