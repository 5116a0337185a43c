"""Login throttling (API.md §3.1): settings.LOGIN_THROTTLE_RATE attempts per (client IP,
username), counted in the shared Django cache (database cache, or Redis when REDIS_URL is
set) so that every application process draws on the same budget. The API login view and the
admin login form (``accounts.admin_login``) both use it."""
import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from itam.net import client_ip


def login_throttle_ident(ip, username):
    """Cache-safe identity of one (IP, username) pair; usable by other login forms."""
    raw = f"{ip or '-'}\n{(username or '').strip()}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


class LoginRateThrottle(SimpleRateThrottle):
    """A sliding window of ``num_requests`` slots per identity. An attempt claims a free slot
    with ``cache.add`` (atomic in Redis and in the database cache), and the slot frees itself
    when the window has passed. DRF's read-modify-write history list would lose updates when
    workers count attempts at the same moment, letting a burst of parallel guesses through."""

    scope = "login"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def allow_request(self, request, view):
        self.key = self.get_cache_key(request, view)
        if self.rate is None or self.key is None:
            return True
        self.now = self.timer()
        slots = [f"{self.key}:{n}" for n in range(self.num_requests)]
        if any(self.cache.add(slot, self.now, self.duration) for slot in slots):
            return True
        # All taken: newest first, as wait() expects, so that it reports when the oldest frees.
        self.history = sorted(self.cache.get_many(slots).values(), reverse=True)
        return False

    def get_cache_key(self, request, view):
        data = request.data
        username = data.get("username") if hasattr(data, "get") else None
        username = username if isinstance(username, str) else ""
        return self.cache_format % {"scope": self.scope, "ident": login_throttle_ident(client_ip(request), username)}
