"""Shared pytest fixtures: users with real JWTs and an API client that talks to the URLs."""
import os

os.environ.setdefault("DJANGO_ENV", "testing")

import pytest  # noqa: E402


@pytest.fixture
def admin_user(db):
    from tests.factories import AdminFactory

    return AdminFactory(username="admin", display_name="Administrator")


@pytest.fixture
def normal_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="alice", display_name="Alice")


@pytest.fixture
def other_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="bob", display_name="Bob")


def token_for(user):
    from accounts.services import issue_tokens

    return issue_tokens(user)["access_token"]


class ApiClient:
    """A thin JSON client for /api: ``api.get("/servers")`` -> (status, body)."""

    def __init__(self, user=None):
        from rest_framework.test import APIClient

        self.client = APIClient()
        self.user = user
        if user is not None:
            self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")

    def _call(self, method, path, data=None, **extra):
        url = path if path.startswith("/api") else "/api" + path
        kwargs = {"format": "json"} if data is not None and method != "get" else {}
        response = getattr(self.client, method)(url, data, **kwargs, **extra)
        return response

    def get(self, path, params=None, **extra):
        return self._call("get", path, params, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data if data is not None else {}, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data if data is not None else {}, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data if data is not None else {}, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, None, **extra)


@pytest.fixture
def anon_api(db):
    return ApiClient()


@pytest.fixture
def admin_api(admin_user):
    return ApiClient(admin_user)


@pytest.fixture
def user_api(normal_user):
    return ApiClient(normal_user)


@pytest.fixture
def api_as(db):
    """Factory fixture: ``api_as(user)`` -> ApiClient authenticated as that user."""
    return ApiClient


def pytest_configure(config):
    """With pytest-xdist (``-n 2``) each worker keeps its RQ queue in a Redis database of its
    own, as it has a test database of its own: gw0 the one of RQ_REDIS_URL, gw1 the next."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or getattr(settings, "TASK_BACKEND", None) != "rq":
        return
    from urllib.parse import urlsplit

    index = int(worker[2:])
    for queue in settings.RQ_QUEUES.values():
        url = urlsplit(queue["URL"])
        database = int(url.path.strip("/") or 0) + index
        if database > 15:
            raise pytest.UsageError(f"{worker} would use Redis database {database}: give RQ_REDIS_URL a lower one.")
        queue["URL"] = url._replace(path=f"/{database}").geturl()


@pytest.fixture(autouse=True)
def _empty_job_queue():
    from tests.jobs import clear_job_queue

    clear_job_queue()
