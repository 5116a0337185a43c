"""A browser sends its login's session cookie with every /api call; a call the JWT
authenticates must not pay for loading that session and its user (issue 15), while a
call only the session authenticates (a download) still is that session's user."""
import pytest

from conftest import ApiClient
from tests.factories import ServerFactory

pytestmark = pytest.mark.django_db  # the throttle cache is cleared around every test


def test_a_jwt_call_carrying_the_session_cookie_runs_the_same_queries(admin_user, django_assert_num_queries):
    ServerFactory()
    api = ApiClient(admin_user)
    api.client.force_login(admin_user)
    with django_assert_num_queries(3):  # authentication, count, page: no session, no second user fetch
        assert api.get("/servers").status_code == 200


def test_a_call_only_the_session_authenticates_is_its_users(admin_user, anon_api):
    anon_api.client.force_login(admin_user)
    body = anon_api.get("/auth/me").json()
    assert body["data"]["username"] == admin_user.username
