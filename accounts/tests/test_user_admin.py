"""The user admin keeps the account rules of ``accounts.services``: the last active admin can
be neither demoted nor deactivated through its change form."""
import pytest
from django.urls import reverse

from accounts.choices import Role
from accounts.services import LAST_ADMIN
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def change_form(user, **changes):
    data = {"username": user.username, "display_name": user.display_name, "email": user.email or "",
            "role": user.role, "is_active": "on" if user.is_active else "",
            "preference-TOTAL_FORMS": "0", "preference-INITIAL_FORMS": "0"}
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("changes", [{"role": Role.USER}, {"is_active": ""}], ids=["demote", "deactivate"])
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(admin_client, admin_user, changes):
    path = reverse("admin:accounts_user_change", args=[admin_user.pk])
    response = admin_client.post(path, change_form(admin_user, **changes))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [LAST_ADMIN]
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_active) == (Role.ADMIN, True)


def test_an_admin_can_be_demoted_while_another_remains(admin_client, admin_user):
    second = UserFactory(role=Role.ADMIN)
    path = reverse("admin:accounts_user_change", args=[second.pk])
    response = admin_client.post(path, change_form(second, role=Role.USER))
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.role == Role.USER


def test_deactivating_in_the_admin_revokes_the_users_tokens(admin_client):
    user = UserFactory()
    response = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), change_form(user, is_active=""))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False and user.tokens_valid_after is not None


def test_a_revert_never_restores_an_old_password(admin_client):
    user = UserFactory(display_name="Old name")
    version = user.history.earliest()
    user.set_password("New-pass-456!")
    user.display_name = "New name"
    user.save()
    path = reverse("admin:accounts_user_simple_history", args=[user.pk, version.history_id])
    page = admin_client.get(path)
    assert "Reverting never restores an old password." in page.content.decode()
    response = admin_client.post(path, change_form(user, display_name="Old name"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Old name" and user.check_password("New-pass-456!")
