"""accounts.services called directly, without HTTP: each rule raises its domain exception
(itam.errors) and leaves the rows as they were."""
import pytest

from accounts import services
from accounts.choices import Role
from accounts.models import User
from itam.errors import Conflict, Forbidden, Unauthenticated
from tests.factories import AdminFactory, ContainerFactory, GPUAssignmentFactory, GPUFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory's


def test_check_credentials_accepts_the_right_password():
    user = UserFactory(username="alice")
    assert services.check_credentials("alice", PASSWORD) == user


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_unauthenticated_with_one_message(username, password):
    UserFactory(username="alice")
    with pytest.raises(Unauthenticated) as raised:
        services.check_credentials(username, password)
    assert raised.value.message == "Invalid username or password."


def test_a_disabled_account_is_forbidden_only_with_the_right_password():
    UserFactory(username="alice", is_active=False)
    with pytest.raises(Forbidden, match="^This account is disabled.$"):
        services.check_credentials("alice", PASSWORD)
    with pytest.raises(Unauthenticated):
        services.check_credentials("alice", "wrong")


def test_a_refresh_token_rotates_once_then_is_revoked():
    user = UserFactory()
    refresh = services.issue_tokens(user)["refresh_token"]
    assert set(services.rotate_refresh_token(refresh)) == {"access_token", "refresh_token"}
    with pytest.raises(Unauthenticated, match="^Token has been revoked.$"):
        services.rotate_refresh_token(refresh)


@pytest.mark.parametrize("raw", ["", "not-a-token", "a.b.c"])
def test_a_malformed_refresh_token_is_unauthenticated(raw):
    with pytest.raises(Unauthenticated, match="^Refresh token is invalid or expired.$"):
        services.rotate_refresh_token(raw)


def test_a_refresh_token_of_a_deactivated_user_is_refused():
    user = UserFactory()
    refresh = services.issue_tokens(user)["refresh_token"]
    services.update_user(user, {"is_active": False})
    with pytest.raises(Unauthenticated):
        services.rotate_refresh_token(refresh)


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated():
    admin = AdminFactory()
    for change in ({"role": Role.USER}, {"is_active": False}):
        with pytest.raises(Conflict, match="^At least one active administrator must remain.$"):
            services.update_user(admin, change)
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)
    AdminFactory()  # with a second admin it may
    services.update_user(admin, {"is_active": False})
    assert User.objects.get(pk=admin.pk).is_active is False


def test_deactivation_revokes_every_token():
    user = UserFactory()
    assert user.tokens_valid_after is None
    services.update_user(user, {"is_active": False})
    assert User.objects.get(pk=user.pk).tokens_valid_after is not None


def test_delete_user_rules():
    actor, user = AdminFactory(), UserFactory()
    with pytest.raises(Conflict, match="^You cannot delete your own account.$"):
        services.delete_user(actor, actor=actor)
    ContainerFactory(owner=user)
    GPUAssignmentFactory(gpu=GPUFactory(), user=user)  # holds a GPU
    with pytest.raises(Conflict, match=r"^User still owns or holds 1 container, 1 GPU; reassign them"):
        services.delete_user(user, actor=actor)
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_user_removes_a_user_who_holds_nothing():
    actor, user = AdminFactory(), UserFactory()
    services.delete_user(user, actor=actor)
    assert not User.objects.filter(pk=user.pk).exists()
