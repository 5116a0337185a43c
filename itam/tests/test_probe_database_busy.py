"""Issue 19 §2: a write that waited for the database lock until its timeout (SQLite behind a
long import; PostgreSQL's lock_timeout) answers 503 with Retry-After in the envelope, on API
views, in middleware and on admin pages, never a bare 500."""
import sqlite3

import pytest
from django.db import OperationalError, connection
from django.test import Client

from accounts.models import UserPreference
from conftest import ApiClient

SQLITE = connection.vendor == "sqlite"


def assert_busy(response):
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json() == {"code": 503, "message": "The database is busy; try again in a few seconds.", "data": None}


@pytest.mark.skipif(not SQLITE, reason="SQLite's database-wide write lock")
@pytest.mark.django_db(transaction=True)
def test_a_write_behind_a_held_sqlite_lock_is_a_503(normal_user, settings):
    api = ApiClient(normal_user)
    assert api.put("/user/preferences", {"view_mode": "list"}).status_code == 200
    connection.close()
    connection.settings_dict["OPTIONS"]["timeout"] = 0.2  # the busy timeout, short for the test
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=5, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long import holds the write lock
        assert_busy(api.put("/user/preferences", {"view_mode": "grid"}))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        connection.close()
        connection.settings_dict["OPTIONS"]["timeout"] = 30
    assert UserPreference.objects.get(user=normal_user).view_mode == "list"
    assert api.put("/user/preferences", {"view_mode": "grid"}).status_code == 200


LOCKED = OperationalError("database is locked")


@pytest.mark.django_db
def test_a_lock_timeout_in_a_view_is_a_503(user_api, monkeypatch):
    def locked(*args, **kwargs):
        raise LOCKED

    monkeypatch.setattr(UserPreference, "save", locked)
    assert_busy(user_api.put("/user/preferences", {"view_mode": "list"}))


@pytest.mark.django_db
def test_a_lock_timeout_outside_a_view_is_a_503(monkeypatch, admin_user):
    from itam import middleware

    def locked(request):
        raise LOCKED

    monkeypatch.setattr(middleware, "declared_length", locked)
    assert_busy(Client(raise_request_exception=False).get("/api/health"))
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 503 and response["Retry-After"] == "5"


@pytest.mark.django_db
def test_other_database_errors_stay_500(user_api, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(UserPreference, "save", broken)
    response = user_api.put("/user/preferences", {"view_mode": "list"})
    assert response.status_code == 500 and "Retry-After" not in response
