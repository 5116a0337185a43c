"""Login throttling: 10 attempts per minute per (client IP, username) in the shared cache."""
import pytest

pytestmark = pytest.mark.django_db


def attempts(login, count, username="admin", ip="10.1.1.1", password="wrong-password"):
    return [login(username, password, REMOTE_ADDR=ip).status_code for _ in range(count)]


def test_the_eleventh_attempt_is_429_with_retry_after(login, admin_user):
    assert attempts(login, 10) == [401] * 10
    response = login("admin", REMOTE_ADDR="10.1.1.1")  # even with the right password
    assert response.status_code == 429
    assert response.json() == {"code": 429, "message": "Too many attempts. Try again later.", "data": None}
    assert 1 <= int(response["Retry-After"]) <= 60


def test_successful_logins_count_too(login, admin_user):
    assert attempts(login, 10, password="Secret-pass-123") == [200] * 10
    assert login("admin", REMOTE_ADDR="10.1.1.1").status_code == 429


def test_counters_are_per_username(login, admin_user, normal_user):
    attempts(login, 10)
    assert login("admin", REMOTE_ADDR="10.1.1.1").status_code == 429
    assert login("alice", REMOTE_ADDR="10.1.1.1").status_code == 200


def test_counters_are_per_client_ip(login, admin_user):
    attempts(login, 10)
    assert login("admin", REMOTE_ADDR="10.1.1.1").status_code == 429
    assert login("admin", REMOTE_ADDR="10.1.1.2").status_code == 200


def test_the_username_is_counted_after_trimming(login, admin_user):
    attempts(login, 10, username=" admin ")
    assert login("admin", REMOTE_ADDR="10.1.1.1").status_code == 429


def test_forwarded_for_only_counts_behind_a_trusted_proxy(login, admin_user, settings):
    for n in range(10):  # an untrusted client varying X-Forwarded-For still shares one counter
        login("admin", "wrong-password", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert login("admin", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    settings.TRUSTED_PROXIES = ["10.1.1.1"]
    assert login("admin", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 200


def test_the_rate_comes_from_settings(login, admin_user, settings):
    settings.LOGIN_THROTTLE_RATE = "2/min"
    assert attempts(login, 3) == [401, 401, 429]


def test_other_endpoints_are_not_throttled_by_logins(login, admin_user, admin_api):
    attempts(login, 11)
    assert admin_api.get("/auth/me").status_code == 200
