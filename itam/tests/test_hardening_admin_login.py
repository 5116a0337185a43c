"""The Django admin login is throttled like the API login, on the same shared budget."""
import uuid

import pytest
from django.conf import settings

from accounts.throttling import LoginRateThrottle
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory's password
LIMIT = LoginRateThrottle().parse_rate(settings.LOGIN_THROTTLE_RATE)[0]


@pytest.fixture
def staff():
    # Unique names and addresses: the throttle lives in the cache, which may outlive a test.
    return AdminFactory(username=f"staff{uuid.uuid4().hex[:10]}")


@pytest.fixture
def ip():
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


def admin_login(client, username, password, ip):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_wrong_passwords_up_to_the_limit_get_the_form_back(client, staff, ip):
    for _ in range(LIMIT):
        response = admin_login(client, staff.username, "wrong-password", ip)
        assert response.status_code == 200
        assert b"Please enter the correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_attempt_past_the_limit_is_refused_even_with_the_right_password(client, staff, ip):
    for _ in range(LIMIT):
        admin_login(client, staff.username, "wrong-password", ip)
    response = admin_login(client, staff.username, PASSWORD, ip)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many login attempts. Try again in" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_budget_is_per_username_and_address(client, staff, ip):
    for _ in range(LIMIT + 1):
        admin_login(client, staff.username, "wrong-password", ip)
    other = AdminFactory(username=f"staff{uuid.uuid4().hex[:10]}")
    assert admin_login(client, other.username, "wrong-password", ip).status_code == 200
    response = admin_login(client, staff.username, PASSWORD, "203.0.113.77")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_successful_login_below_the_limit(client, staff, ip):
    for _ in range(LIMIT - 1):
        admin_login(client, staff.username, "wrong-password", ip)
    response = admin_login(client, staff.username, PASSWORD, ip)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_admin_and_api_logins_share_one_budget(client, staff, ip):
    """Alternating between the admin form and the API gains an attacker nothing."""
    for _ in range(LIMIT // 2):
        admin_login(client, staff.username, "wrong-password", ip)
    for _ in range(LIMIT - LIMIT // 2):
        response = client.post(
            "/api/auth/login", {"username": staff.username, "password": "wrong-password"},
            content_type="application/json", REMOTE_ADDR=ip,
        )
        assert response.status_code == 401
    assert admin_login(client, staff.username, PASSWORD, ip).status_code == 429
    response = client.post(
        "/api/auth/login", {"username": staff.username, "password": PASSWORD},
        content_type="application/json", REMOTE_ADDR=ip,
    )
    assert response.status_code == 429
    assert response.json()["code"] == 429
