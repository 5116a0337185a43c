"""Brute-force protection for the Django admin login.

The admin login draws on the same budget as `POST /api/auth/login` (LOGIN_THROTTLE_RATE
attempts per client IP and username, in the shared cache), so alternating between the two
forms gains an attacker nothing. A throttled attempt is refused before the password is
checked, even when it is right.
"""
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from itam.net import client_ip

from .throttling import LoginRateThrottle, login_throttle_ident


class AdminLoginThrottle(LoginRateThrottle):
    """The API login throttle, keyed from the admin's HTML form instead of a JSON body."""

    def get_cache_key(self, request, view):
        ident = login_throttle_ident(client_ip(request), request.POST.get("username", ""))
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {  # every active account signs in: not "... for a staff account"
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the correct %(username)s and password. Note that both fields may be "
                         "case-sensitive.",
    }
    throttle_wait = None  # seconds until the next attempt is allowed, once throttled

    def clean(self):
        throttle = AdminLoginThrottle()
        if not throttle.allow_request(self.request, None):
            self.throttle_wait = max(1, int((throttle.wait() or 0) + 0.999))
            raise ValidationError(
                "Too many login attempts. Try again in %(seconds)d seconds.",
                code="throttled",
                params={"seconds": self.throttle_wait},
            )
        return super().clean()

    def confirm_login_allowed(self, user):
        # Every active account may sign in (itam.admin_access): not Django's staff-only check.
        AuthenticationForm.confirm_login_allowed(self, user)


def admin_login(request, extra_context=None):
    """The admin site's login view with the throttled form; a throttled attempt gets 429."""
    response = admin.site.login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    wait = getattr(form, "throttle_wait", None)
    if wait is not None:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response
