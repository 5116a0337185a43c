"""Who is making the current change: user, client IP, user agent and request id.

The request middleware fills it for HTTP requests (DRF views refresh the user once they
have authenticated it); management commands use ``system_context()``. django-simple-history
reads the user from here (``history_user``) and the audit recorder reads everything else.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

SYSTEM_USERNAME = "system"


@dataclass(frozen=True)
class ChangeContext:
    user: Any = None  # a User, or None for system / anonymous
    username: str = SYSTEM_USERNAME
    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


_current: ContextVar[ChangeContext] = ContextVar("itam_change_context", default=ChangeContext())


def get_context() -> ChangeContext:
    return _current.get()


@contextmanager
def use_context(ctx: ChangeContext):
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_user(user):
    """Attach the authenticated user to the current context (called after DRF auth)."""
    ctx = _current.get()
    if user is not None and getattr(user, "is_authenticated", False):
        _current.set(replace(ctx, user=user, username=user.username))


@contextmanager
def system_context():
    """Changes made by management commands: user ``system``, no IP, no request id."""
    with use_context(ChangeContext()) as ctx:
        yield ctx


def history_user(instance=None, request=None, **kwargs):
    """``get_user`` hook for django-simple-history."""
    user = _current.get().user
    return user if user is not None and getattr(user, "pk", None) else None
