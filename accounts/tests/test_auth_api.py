"""POST /auth/login, /auth/refresh, /auth/logout, GET /auth/me, POST /auth/change-password (API.md §3.1)."""
import pytest

from accounts.tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INVALID = {"code": 401, "message": "Invalid username or password.", "data": None}


def user_object(user):
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": user.created_at.replace(microsecond=0).isoformat(),
    }


# --- login --------------------------------------------------------------------------------

def test_login_returns_tokens_user_and_a_lax_httponly_session(login, admin_user):
    response = login("admin")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and body["message"] == "Login successful."
    assert set(body["data"]) == {"access_token", "refresh_token", "user"}
    assert body["data"]["user"] == user_object(admin_user)
    assert body["data"]["user"]["created_at"].endswith("+00:00")
    session = response.cookies["sessionid"]
    assert session["httponly"] is True and session["samesite"] == "Lax"
    assert response.cookies["csrftoken"].value  # for unsafe requests made with the session


def test_login_trims_the_username_but_matches_it_exactly(login, admin_user):
    assert login("  admin \t").status_code == 200
    response = login("Admin")
    assert (response.status_code, response.json()) == (401, INVALID)


def test_login_does_not_trim_the_password(login, admin_user):
    response = login("admin", f" {PASSWORD} ")
    assert (response.status_code, response.json()) == (401, INVALID)


def test_unknown_user_and_wrong_password_get_the_same_401(login, admin_user):
    unknown, wrong = login("nobody"), login("admin", "wrong-password")
    assert (unknown.status_code, unknown.json()) == (401, INVALID)
    assert (wrong.status_code, wrong.json()) == (401, INVALID)
    assert "sessionid" not in wrong.cookies


def test_disabled_account_is_403_only_with_the_correct_password(login):
    UserFactory(username="carol", is_active=False)
    response = login("carol")
    assert (response.status_code, response.json()) == (403, {"code": 403, "message": "This account is disabled.", "data": None})
    assert login("carol", "wrong-password").json() == INVALID


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"username": ["This field is required."], "password": ["This field is required."]}),
        ({"username": "  ", "password": "x"}, {"username": ["This field may not be blank."]}),
        ({"username": "a" * 65, "password": "x"}, {"username": ["Ensure this field has no more than 64 characters."]}),
        ({"username": "admin", "password": "x" * 129}, {"password": ["Ensure this field has no more than 128 characters."]}),
        ({"username": "admin", "password": None}, {"password": ["This field may not be null."]}),
    ],
)
def test_login_validation(anon_api, admin_user, body, errors):
    response = anon_api.post("/auth/login", body)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": errors}


def test_login_rejects_malformed_json(anon_api):
    response = anon_api.client.post("/api/auth/login", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == 400 and response.json()["data"] is None


def test_login_route_with_trailing_slash_and_wrong_method(anon_api, admin_user, login):
    slash = anon_api.post("/auth/login/", {"username": "admin", "password": PASSWORD})
    assert slash.status_code == 200
    wrong = anon_api.get("/auth/login")
    assert wrong.status_code == 405
    assert wrong["Allow"] == "POST, OPTIONS"
    assert wrong.json() == {"code": 405, "message": 'Method "GET" not allowed.', "data": None}


def test_login_ignores_a_stray_bad_authorization_header(login, admin_user):
    assert login("admin", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 200


# --- me -----------------------------------------------------------------------------------

def test_me_returns_the_callers_user_object(user_api, normal_user):
    response = user_api.get("/auth/me")
    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "success", "data": user_object(normal_user)}


def test_me_without_a_token_is_401(anon_api):
    response = anon_api.get("/auth/me")
    assert (response.status_code, response.json()) == (401, {"code": 401, "message": "Authentication required.", "data": None})


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Bearer x y"])
def test_malformed_tokens_are_401(anon_api, header):
    response = anon_api.get("/auth/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == 401


# --- refresh ------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["refresh_token", "refresh"])
def test_refresh_from_the_body_rotates_the_pair(login, anon_api, bearer, admin_user, key):
    refresh = login("admin").json()["data"]["refresh_token"]
    response = anon_api.post("/auth/refresh", {key: refresh})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and set(body["data"]) == {"access_token", "refresh_token"}
    assert body["data"]["refresh_token"] != refresh
    assert bearer(body["data"]["access_token"]).get("/auth/me").json()["data"]["username"] == "admin"
    # Rotation: the presented refresh token is used up, the new one works.
    again = anon_api.post("/auth/refresh", {key: refresh})
    assert (again.status_code, again.json()["message"]) == (401, "Token has been revoked.")
    assert anon_api.post("/auth/refresh", {"refresh_token": body["data"]["refresh_token"]}).status_code == 200


def test_refresh_header_wins_over_the_body(login, bearer, admin_user):
    first = login("admin").json()["data"]["refresh_token"]
    second = login("admin").json()["data"]["refresh_token"]
    response = bearer(first).post("/auth/refresh", {"refresh_token": "garbage"})
    assert response.status_code == 200
    response = bearer("garbage").post("/auth/refresh", {"refresh_token": second})
    assert (response.status_code, response.json()["message"]) == (401, "Refresh token is invalid or expired.")


def test_an_access_token_cannot_refresh(login, anon_api, admin_user):
    access = login("admin").json()["data"]["access_token"]
    response = anon_api.post("/auth/refresh", {"refresh_token": access})
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Refresh token is invalid or expired.", "data": None}


def test_a_refresh_token_cannot_authenticate(login, bearer, admin_user):
    refresh = login("admin").json()["data"]["refresh_token"]
    response = bearer(refresh).get("/auth/me")
    assert (response.status_code, response.json()["message"]) == (401, "Token is invalid or expired.")


def test_refresh_needs_a_token(anon_api):
    response = anon_api.post("/auth/refresh", {})
    assert response.status_code == 400
    assert response.json()["errors"] == {"refresh_token": ["This field is required."]}


def test_refresh_for_a_deactivated_user_is_401(login, anon_api, normal_user):
    refresh = login("alice").json()["data"]["refresh_token"]
    normal_user.is_active = False
    normal_user.save()
    assert anon_api.post("/auth/refresh", {"refresh_token": refresh}).status_code == 401


def test_expired_refresh_token_is_401(anon_api, normal_user, settings):
    from datetime import timedelta

    from accounts.authentication import RefreshToken

    token = RefreshToken.for_user(normal_user)
    token.set_exp(lifetime=timedelta(seconds=-1))
    response = anon_api.post("/auth/refresh", {"refresh_token": str(token)})
    assert (response.status_code, response.json()["message"]) == (401, "Refresh token is invalid or expired.")


# --- logout -------------------------------------------------------------------------------

def test_logout_revokes_the_access_token_only(login, anon_api, bearer, admin_user):
    tokens = login("admin").json()["data"]
    client = bearer(tokens["access_token"])
    response = client.post("/auth/logout")
    assert (response.status_code, response.json()) == (200, {"code": 0, "message": "Logged out.", "data": None})
    again = client.get("/auth/me")
    assert (again.status_code, again.json()["message"]) == (401, "Token has been revoked.")
    # Without a refresh token in the body, the refresh token stays valid.
    assert anon_api.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 200


@pytest.mark.parametrize("key", ["refresh_token", "refresh"])
def test_logout_revokes_the_given_refresh_token_of_the_same_user(login, anon_api, bearer, admin_user, key):
    tokens = login("admin").json()["data"]
    assert bearer(tokens["access_token"]).post("/auth/logout", {key: tokens["refresh_token"]}).status_code == 200
    assert anon_api.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_logout_ignores_a_refresh_token_of_another_user(login, anon_api, bearer, admin_user, normal_user):
    mine = login("admin").json()["data"]
    theirs = login("alice").json()["data"]
    response = bearer(mine["access_token"]).post("/auth/logout", {"refresh_token": theirs["refresh_token"]})
    assert response.status_code == 200
    assert anon_api.post("/auth/refresh", {"refresh_token": theirs["refresh_token"]}).status_code == 200


def test_logout_tolerates_a_garbage_refresh_token(user_api):
    assert user_api.post("/auth/logout", {"refresh_token": "garbage"}).status_code == 200


def test_logout_needs_authentication(anon_api):
    assert anon_api.post("/auth/logout").status_code == 401


# --- change password --------------------------------------------------------------------------

def test_change_password_issues_a_new_pair_and_revokes_every_other_token(login, anon_api, bearer, normal_user):
    earlier = login("alice").json()["data"]
    other_login = login("alice").json()["data"]
    client = bearer(earlier["access_token"])
    response = client.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Password changed." and set(body["data"]) == {"access_token", "refresh_token"}
    # The token that made the request stays valid (clients go on with it, API.md §3.1)...
    assert client.get("/auth/me").status_code == 200
    assert client.put("/user/preferences", {"theme": "dark"}).status_code == 200
    # ...every other token of the user, the caller's own refresh token included, is revoked.
    assert bearer(other_login["access_token"]).get("/auth/me").status_code == 401
    for refresh in (earlier["refresh_token"], other_login["refresh_token"]):
        assert anon_api.post("/auth/refresh", {"refresh_token": refresh}).status_code == 401
    assert bearer(body["data"]["access_token"]).get("/auth/me").status_code == 200
    assert anon_api.post("/auth/refresh", {"refresh_token": body["data"]["refresh_token"]}).status_code == 200
    assert login("alice").status_code == 401
    assert login("alice", "Fresh-horse-battery-9").status_code == 200


def test_only_the_latest_password_change_keeps_its_callers_token(login, bearer, normal_user):
    first = bearer(login("alice").json()["data"]["access_token"])
    second = bearer(login("alice").json()["data"]["access_token"])
    assert first.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"}).status_code == 200
    assert second.get("/auth/me").status_code == 401  # revoked by the first change
    third = bearer(login("alice", "Fresh-horse-battery-9").json()["data"]["access_token"])
    assert third.post("/auth/change-password", {"old_password": "Fresh-horse-battery-9", "new_password": "Other-horse-battery-8"}).status_code == 200
    assert third.get("/auth/me").status_code == 200
    assert first.get("/auth/me").status_code == 401  # kept by the first change, revoked by the second


def test_deactivation_revokes_the_token_a_password_change_kept(login, admin_api, bearer, normal_user):
    client = bearer(login("alice").json()["data"]["access_token"])
    assert client.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"}).status_code == 200
    assert admin_api.put(f"/users/{normal_user.pk}", {"is_active": False}).status_code == 200
    assert admin_api.put(f"/users/{normal_user.pk}", {"is_active": True}).status_code == 200
    assert client.get("/auth/me").status_code == 401


def test_change_password_with_a_wrong_old_password(user_api):
    response = user_api.post("/auth/change-password", {"old_password": "nope", "new_password": "Fresh-horse-battery-9"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"old_password": ["Old password is incorrect."]}


@pytest.mark.parametrize(
    "new_password, messages",
    [
        ("12345678", ["This password is too common.", "This password is entirely numeric."]),
        ("short", ["This password is too short. It must contain at least 8 characters."]),
        ("alice1234", ["The password is too similar to the username."]),
        ("x" * 129, ["Ensure this field has no more than 128 characters."]),
    ],
)
def test_change_password_reports_every_validator_message(user_api, new_password, messages):
    response = user_api.post("/auth/change-password", {"old_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": {"new_password": messages}}


def test_change_password_requires_both_fields(user_api):
    response = user_api.post("/auth/change-password", {})
    assert response.json()["errors"] == {
        "old_password": ["This field is required."],
        "new_password": ["This field is required."],
    }


def test_login_refresh_logout_and_preferences_write_no_audit_entries(login, anon_api, bearer, admin_user):
    from audit.models import AuditLog

    before = AuditLog.objects.count()
    tokens = login("admin").json()["data"]
    refreshed = anon_api.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).json()["data"]
    client = bearer(refreshed["access_token"])
    assert client.put("/user/preferences", {"view_mode": "list"}).status_code == 200
    assert client.post("/auth/logout", {"refresh_token": refreshed["refresh_token"]}).status_code == 200
    assert AuditLog.objects.count() == before


def test_a_password_change_is_audited_as_an_update_without_the_password(user_api, normal_user):
    from audit.models import AuditLog

    user_api.post("/auth/change-password", {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"})
    entry = AuditLog.objects.get(resource_type="user", resource_id=normal_user.pk, username="alice")
    assert entry.action == "update"
    assert entry.changes == {"password": {"old": "***", "new": "***"}}


def test_login_takes_json_only_so_a_cross_site_form_cannot_log_a_browser_in(anon_api, admin_user):
    response = anon_api.client.post(
        "/api/auth/login", f"username=admin&password={PASSWORD}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["code"] == 400 and "sessionid" not in response.cookies


@pytest.mark.parametrize("status_body", [("admin", PASSWORD), ("admin", "wrong-password")])
def test_x_request_id_is_echoed_when_valid_and_generated_otherwise(login, admin_user, status_body):
    import uuid

    echoed = login(*status_body, HTTP_X_REQUEST_ID="client-42.a_b")
    assert echoed["X-Request-ID"] == "client-42.a_b"
    for bad in ("has space", "x" * 65, ""):
        replaced = login(*status_body, HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert str(uuid.UUID(replaced)) == replaced
