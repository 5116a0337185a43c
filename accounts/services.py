"""Writes with rules for accounts: login, tokens and their revocation, passwords, users.

Views translate HTTP to these calls; the rules (who may log in, what revokes what, which
users may not be demoted or deleted) live here only.
"""
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import login as start_session
from django.contrib.auth import logout as end_session
from django.db import transaction
from django.utils import timezone

from itam.errors import Conflict, Forbidden, Unauthenticated
from itam.persistence import delete_unreferenced, save_unique

from .authentication import (
    INVALID_REFRESH,
    REVOKED_TOKEN,
    RefreshToken,
    parse_refresh,
    refresh_or_none,
    token_id,
    token_is_current,
    token_user_id,
)
from .choices import Role
from .models import User, UserPreference

INVALID_CREDENTIALS = "Invalid username or password."
ACCOUNT_DISABLED = "This account is disabled."
LAST_ADMIN = "At least one active administrator must remain."


# --- tokens ----------------------------------------------------------------------------

def issue_tokens(user):
    """A new access/refresh pair; the refresh token is recorded as outstanding."""
    refresh = RefreshToken.for_user(user)
    return {"access_token": str(refresh.access_token), "refresh_token": str(refresh)}


def revoke_token(token):
    """Blacklist one validated token. True if this call revoked it, False if it already was:
    the unique blacklist row makes concurrent rotations of one refresh token succeed once."""
    _, created = token.blacklist()
    return created


def revoke_all_tokens(user, *, keep=None):
    """Every token and session issued to ``user`` until now stops working, except the access
    token ``keep`` (the caller saves both fields)."""
    user.tokens_valid_after = timezone.now()
    user.kept_token_jti = None if keep is None else token_id(keep)


# --- login, refresh, logout --------------------------------------------------------------

def check_credentials(username, password):
    """The user for these credentials; 401 for an unknown user or a wrong password (same
    message), 403 only for the correct password of a disabled account."""
    user = User.objects.filter(username=username).first()
    if user is None:
        User().set_password(password)  # spend the hashing time anyway: no user enumeration by timing
        raise Unauthenticated(INVALID_CREDENTIALS)
    if not user.check_password(password):
        raise Unauthenticated(INVALID_CREDENTIALS)
    if not user.is_active:
        raise Forbidden(ACCOUNT_DISABLED)
    return user


@transaction.atomic
def login(http_request, username, password):
    """Check the credentials, start a Django session (browser downloads) and issue tokens."""
    user = check_credentials(username, password)
    start_session(http_request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user, issue_tokens(user)


@transaction.atomic
def rotate_refresh_token(raw_refresh):
    """A new pair for a valid refresh token, which is revoked (used once)."""
    refresh = parse_refresh(raw_refresh)
    user = User.objects.filter(pk=token_user_id(refresh), is_active=True).first()
    if user is None:
        raise Unauthenticated(INVALID_REFRESH)
    if not token_is_current(refresh, user) or not revoke_token(refresh):
        raise Unauthenticated(REVOKED_TOKEN)
    return issue_tokens(user)


@transaction.atomic
def logout(http_request, user, access_token=None, raw_refresh=None):
    """Revoke the request's access token, the given refresh token when it is a valid token of
    the same user (anything else is ignored), and end the Django session."""
    if access_token is not None:
        revoke_token(access_token)
    if raw_refresh:
        refresh = refresh_or_none(raw_refresh)
        if refresh is not None and token_user_id(refresh) == user.pk:
            revoke_token(refresh)
    end_session(http_request)


@transaction.atomic
def change_password(user, new_password, *, http_request=None, access_token=None):
    """Set the password (already validated), revoke every earlier token and session but the
    caller's own (``access_token`` and the session ``http_request`` carries, when it is this
    user's), and return a fresh pair issued after the revocation instant."""
    user.set_password(new_password)
    revoke_all_tokens(user, keep=access_token)
    user.save(update_fields=["password", "tokens_valid_after", "kept_token_jti"])
    if http_request is not None:
        _keep_session(http_request, user)
    return issue_tokens(user)


def _keep_session(http_request, user):
    """Django's ``update_session_auth_hash`` for the request's own session, if it is this
    user's (its lazy ``request.user`` would already see the session as revoked)."""
    session = http_request.session
    if session.get(SESSION_KEY) == user._meta.pk.value_to_string(user):
        session.cycle_key()
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()


# --- users ---------------------------------------------------------------------------------

def lock_active_admins():
    """Lock the active admin rows (in pk order) and return their ids. Every user write takes
    this lock before the row it changes, so concurrent writes queue in one order (no
    deadlock) and two demotions cannot both see the other admin remaining."""
    return set(
        User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True).order_by("pk").values_list("pk", flat=True)
    )


def ensure_another_active_admin(user):
    """422 unless an active admin other than ``user`` remains."""
    if not lock_active_admins() - {user.pk}:
        raise Conflict(LAST_ADMIN)


def ensure_admin_remains(user, role, is_active):
    """422 when giving ``user`` this role and active flag would leave no active admin."""
    if user.is_active and user.role == Role.ADMIN and (role != Role.ADMIN or is_active is False):
        ensure_another_active_admin(user)


def create_user(data):
    data = dict(data)
    password = data.pop("password")
    user = User(**data)
    user.set_password(password)
    save_unique(user)
    return user


def update_user(user, data):
    """Partial update. A new password or a deactivation revokes all of the user's tokens;
    the last active admin can be neither demoted nor deactivated."""
    data = dict(data)
    password = data.pop("password", None)
    is_active = data.get("is_active", user.is_active)
    ensure_admin_remains(user, data.get("role", user.role), is_active)
    if password or (user.is_active and is_active is False):
        revoke_all_tokens(user)
    for name, value in data.items():
        setattr(user, name, value)
    if password:
        user.set_password(password)
    save_unique(user)
    return user


def _plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def delete_user(user, *, actor):
    """Delete a user who holds nothing. Containers they merely use lose ``assigned_user``;
    audit entries and GPU assignment history keep the recorded names (FKs are SET_NULL)."""
    if user.pk == actor.pk:
        raise Conflict("You cannot delete your own account.")
    if user.is_active and user.role == Role.ADMIN:
        ensure_another_active_admin(user)
    holdings = [
        _plural(count, noun)
        for count, noun in (
            (user.owned_containers.count(), "container"),
            (user.owned_services.count(), "service"),
            (user.gpus.count(), "GPU"),
        )
        if count
    ]
    if holdings:
        raise Conflict(f"User still owns or holds {', '.join(holdings)}; reassign them or deactivate the user instead.")
    delete_unreferenced(user)


# --- preferences ---------------------------------------------------------------------------

def save_preferences(user, values):
    """Create the record on first use, else change only the given keys."""
    preference, _ = UserPreference.objects.update_or_create(user=user, defaults=values)
    return preference
