"""Fixtures of the accounts tests: a fresh throttle budget and a login helper."""
import pytest
from django.core.cache import cache

from conftest import ApiClient

PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory's password


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters live in the shared cache, which outlives a test on Redis."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def login(db):
    """``login(username, password=PASSWORD, client=None)`` -> the login response."""

    def do_login(username, password=PASSWORD, client=None, **extra):
        client = client or ApiClient()
        return client.post("/auth/login", {"username": username, "password": password}, **extra)

    return do_login


@pytest.fixture
def bearer(db):
    """``bearer(token)`` -> an ApiClient that sends ``token`` as its Bearer credential."""

    def client_with(token):
        client = ApiClient()
        client.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return client_with
