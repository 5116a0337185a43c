"""GET /health (API.md §9.4): no authentication; 503 envelope when the database is down."""
import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_healthy(anon_api, path, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = anon_api.get(path)
    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "success", "data": {"status": "ok", "database": "ok"}}
    assert response["X-Request-ID"]


def test_a_bad_token_does_not_matter(anon_api):
    assert anon_api.get("/health", HTTP_AUTHORIZATION="Bearer garbage").status_code == 200


def test_database_down_is_503_in_the_envelope(anon_api, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = anon_api.get("/health")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": 503,
        "message": "Database unavailable.",
        "data": {"status": "error", "database": "error"},
    }


def test_other_methods_are_405(anon_api):
    response = anon_api.post("/health")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
