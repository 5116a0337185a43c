"""The permission matrix (API.md §2) for the accounts and system endpoints, and the check
order of §1.4 (401 -> 403 -> 405)."""
import pytest

from accounts.tests.conftest import PASSWORD
from conftest import ApiClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_USER = {"username": "erin", "password": "Long-enough-pass-1", "display_name": "Erin"}
CHANGE = {"old_password": PASSWORD, "new_password": "Fresh-horse-battery-9"}

# (method, path, body, (anonymous, user, admin)); "{target}" is a third user's id.
MATRIX = [
    ("post", "/auth/login", {"username": "nobody", "password": "x"}, (401, 401, 401)),
    ("post", "/auth/refresh", {}, (400, 401, 401)),  # a Bearer access token is no refresh token
    ("get", "/health", None, (200, 200, 200)),
    ("get", "/schema", None, (200, 200, 200)),
    ("get", "/docs", None, (200, 200, 200)),
    ("post", "/auth/logout", {}, (401, 200, 200)),
    ("get", "/auth/me", None, (401, 200, 200)),
    ("post", "/auth/change-password", CHANGE, (401, 200, 200)),
    ("get", "/user/preferences", None, (401, 200, 200)),
    ("put", "/user/preferences", {"view_mode": "list"}, (401, 200, 200)),
    ("get", "/users/options", None, (401, 200, 200)),
    ("get", "/users", None, (401, 200, 200)),
    ("get", "/users/{target}", None, (401, 403, 200)),
    ("post", "/users", NEW_USER, (401, 403, 201)),
    ("put", "/users/{target}", {"display_name": "Changed"}, (401, 403, 200)),
    ("patch", "/users/{target}", {"display_name": "Changed"}, (401, 403, 200)),
    ("delete", "/users/{target}", None, (401, 403, 200)),
    # wrong methods: authentication first, then the role, then 405
    ("delete", "/auth/me", None, (401, 405, 405)),
    ("get", "/auth/logout", None, (401, 405, 405)),
    ("get", "/auth/login", None, (405, 405, 405)),
    ("post", "/health", None, (405, 405, 405)),
    ("delete", "/users/options", None, (401, 405, 405)),
    ("delete", "/users", None, (401, 403, 405)),
    ("post", "/users/{target}", {}, (401, 403, 405)),
]


@pytest.mark.parametrize("method, path, body, expected", MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_permission_matrix(admin_user, normal_user, method, path, body, expected):
    path = path.format(target=UserFactory(username="target").pk)
    got = []
    # Callers that are refused change nothing, so one database serves the three of them.
    for client in (ApiClient(), ApiClient(normal_user), ApiClient(admin_user)):
        call = getattr(client, method)
        response = call(path, body) if method != "delete" else call(path)
        got.append(response.status_code)
        if path != "/schema" and response["Content-Type"].startswith("application/json"):
            assert response.json()["code"] == (0 if response.status_code < 400 else response.status_code)
    assert tuple(got) == expected
