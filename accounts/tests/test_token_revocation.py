"""Server-side revocation of tokens and sessions (API.md §1.8): logout, rotation, password
change in the same second, deactivation, deletion, and the browser session."""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.authentication import ISSUED_AT_US_CLAIM, AccessToken, epoch_us
from accounts.tests.conftest import PASSWORD
from conftest import ApiClient
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def browser(login, username):
    """A client that logged in and from then on sends only its cookies (CSRF enforced)."""
    client = ApiClient()
    client.client = APIClient(enforce_csrf_checks=True)
    assert login(username, client=client).status_code == 200
    return client


def csrf_header(client):
    return {"HTTP_X_CSRFTOKEN": client.client.cookies["csrftoken"].value}


# --- the same-second pitfall, with controlled clocks --------------------------------------------

def test_token_issued_earlier_in_the_same_second_as_a_password_change_is_rejected(bearer, normal_user):
    second = timezone.now().replace(microsecond=0) - timedelta(seconds=5)
    with mock.patch("rest_framework_simplejwt.tokens.aware_utcnow", return_value=second + timedelta(milliseconds=100)):
        old = services.issue_tokens(normal_user)
    with mock.patch("django.utils.timezone.now", return_value=second + timedelta(milliseconds=400)):
        services.revoke_all_tokens(normal_user)
        normal_user.save(update_fields=["tokens_valid_after"])
    with mock.patch("rest_framework_simplejwt.tokens.aware_utcnow", return_value=second + timedelta(milliseconds=700)):
        new = services.issue_tokens(normal_user)
    old_token, new_token = AccessToken(old["access_token"]), AccessToken(new["access_token"])
    assert old_token["iat"] == new_token["iat"] == int(second.timestamp())  # one second: iat cannot tell them apart
    assert old_token[ISSUED_AT_US_CLAIM] < epoch_us(normal_user.tokens_valid_after) <= new_token[ISSUED_AT_US_CLAIM]

    response = bearer(old["access_token"]).get("/auth/me")
    assert (response.status_code, response.json()["message"]) == (401, "Token has been revoked.")
    assert bearer(new["access_token"]).get("/auth/me").status_code == 200
    assert bearer(old["refresh_token"]).post("/auth/refresh").status_code == 401
    assert bearer(new["refresh_token"]).post("/auth/refresh").status_code == 200


def test_a_token_without_the_microsecond_claim_counts_only_from_the_next_second(bearer, normal_user):
    token = AccessToken.for_user(normal_user)
    del token[ISSUED_AT_US_CLAIM]
    normal_user.tokens_valid_after = datetime.fromtimestamp(token["iat"], tz=dt_timezone.utc) + timedelta(milliseconds=900)
    normal_user.save(update_fields=["tokens_valid_after"])
    assert bearer(str(token)).get("/auth/me").status_code == 401
    normal_user.tokens_valid_after -= timedelta(seconds=1)
    normal_user.save(update_fields=["tokens_valid_after"])
    assert bearer(str(token)).get("/auth/me").status_code == 200


# --- revocation through the API -------------------------------------------------------------

def test_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(login, admin_api, bearer, normal_user):
    tokens = login("alice").json()["data"]
    assert admin_api.put(f"/users/{normal_user.pk}", {"is_active": False}).status_code == 200
    assert bearer(tokens["access_token"]).get("/auth/me").status_code == 401
    assert admin_api.put(f"/users/{normal_user.pk}", {"is_active": True}).status_code == 200
    assert bearer(tokens["access_token"]).get("/auth/me").status_code == 401
    assert bearer(tokens["refresh_token"]).post("/auth/refresh").status_code == 401
    assert bearer(login("alice").json()["data"]["access_token"]).get("/auth/me").status_code == 200


def test_a_new_password_set_by_an_admin_revokes_the_users_tokens(login, admin_api, bearer, normal_user):
    tokens = login("alice").json()["data"]
    assert admin_api.put(f"/users/{normal_user.pk}", {"password": "Another-long-pass-7"}).status_code == 200
    assert bearer(tokens["access_token"]).get("/auth/me").status_code == 401
    assert login("alice", "Another-long-pass-7").status_code == 200


@pytest.mark.parametrize("password", ["", None])
def test_an_empty_password_on_update_revokes_nothing(login, admin_api, bearer, normal_user, password):
    tokens = login("alice").json()["data"]
    assert admin_api.put(f"/users/{normal_user.pk}", {"password": password, "display_name": "Alice B"}).status_code == 200
    assert bearer(tokens["access_token"]).get("/auth/me").json()["data"]["display_name"] == "Alice B"
    assert login("alice").status_code == 200


def test_deleted_users_tokens_are_401(login, admin_api, bearer, normal_user):
    tokens = login("alice").json()["data"]
    assert admin_api.delete(f"/users/{normal_user.pk}").status_code == 200
    assert bearer(tokens["access_token"]).get("/auth/me").status_code == 401
    assert bearer(tokens["refresh_token"]).post("/auth/refresh").status_code == 401


def test_revocation_is_in_the_database_not_in_a_cache(login, bearer, admin_user):
    from django.core.cache import cache

    tokens = login("admin").json()["data"]
    assert bearer(tokens["access_token"]).post("/auth/logout").status_code == 200
    cache.clear()  # an evicted or flushed cache must not resurrect the token
    assert bearer(tokens["access_token"]).get("/auth/me").status_code == 401


def test_a_refresh_token_rotates_exactly_once(login, bearer, admin_user):
    refresh = login("admin").json()["data"]["refresh_token"]
    results = [bearer(refresh).post("/auth/refresh").status_code for _ in range(3)]
    assert results == [200, 401, 401]


# --- the browser session ------------------------------------------------------------------------

def test_login_session_authenticates_reads_and_csrf_guards_writes(login, admin_user):
    client = browser(login, "admin")
    assert client.get("/auth/me").json()["data"]["username"] == "admin"
    refused = client.post("/auth/logout")
    assert refused.status_code == 403
    assert refused.json()["code"] == 403 and "CSRF" in refused.json()["message"]
    assert client.post("/auth/logout", **csrf_header(client)).status_code == 200
    assert client.get("/auth/me").status_code == 401


def test_logout_with_a_token_ends_the_session_of_that_browser(login, admin_user):
    client = browser(login, "admin")
    access = login("admin", client=client).json()["data"]["access_token"]
    assert client.post("/auth/logout", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    assert client.get("/auth/me").status_code == 401


def test_password_change_ends_sessions(login, user_api, normal_user):
    client = browser(login, "alice")
    assert user_api.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"}).status_code == 200
    assert client.get("/auth/me").status_code == 401


def test_password_change_keeps_the_session_of_the_callers_own_login(login, normal_user):
    """A browser client logs in (session cookie + tokens) and changes the password with its
    token: its session stays, another browser's session of the same user ends."""
    mine, other = ApiClient(), browser(login, "alice")
    mine.client = APIClient(enforce_csrf_checks=True)
    access = login("alice", client=mine).json()["data"]["access_token"]
    changed = mine.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"},
                        HTTP_AUTHORIZATION=f"Bearer {access}")
    assert changed.status_code == 200
    assert mine.get("/auth/me").json()["data"]["username"] == "alice"  # cookie only
    assert mine.put("/user/preferences", {"theme": "dark"}, **csrf_header(mine)).status_code == 200
    assert other.get("/auth/me").status_code == 401


def test_password_change_through_the_session_keeps_that_session(login, normal_user):
    client = browser(login, "alice")
    changed = client.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"},
                          **csrf_header(client))
    assert changed.status_code == 200
    assert client.get("/auth/me").status_code == 200


def test_a_password_change_does_not_keep_another_users_session(login, bearer, normal_user, other_user):
    """The request carries bob's session cookie but alice's token: bob's session is not
    touched, alice's change keeps only alice's token."""
    client = browser(login, other_user.username)
    alice = login("alice").json()["data"]["access_token"]
    changed = client.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"},
                          HTTP_AUTHORIZATION=f"Bearer {alice}")
    assert changed.status_code == 200
    assert client.get("/auth/me").json()["data"]["username"] == other_user.username


def test_deactivation_ends_sessions_even_after_reactivation(login, admin_api, normal_user):
    client = browser(login, "alice")
    admin_api.put(f"/users/{normal_user.pk}", {"is_active": False})
    admin_api.put(f"/users/{normal_user.pk}", {"is_active": True})
    assert client.get("/auth/me").status_code == 401


def test_revocation_ends_django_admin_sessions_too(admin_api, admin_user):
    from django.test import Client

    staff = AdminFactory(username="staff")
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/auth/me").status_code == 200
    admin_api.put(f"/users/{staff.pk}", {"is_active": False})
    admin_api.put(f"/users/{staff.pk}", {"is_active": True})
    assert client.get("/admin/").status_code == 302  # back to the login page
    assert client.get("/api/auth/me").status_code == 401
