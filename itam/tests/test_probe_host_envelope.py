"""Issue 19 §7: every /api answer is the JSON envelope, also those Django gives before a view
runs (a Host header outside ALLOWED_HOSTS in production, an error in a middleware)."""
import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(ALLOWED_HOSTS=["itam.example.com"], DEBUG=False)
@pytest.mark.parametrize("path", ["/api/health", "/api/servers", "/api/auth/login", "/api/nowhere", "/api"])
def test_a_bad_host_under_api_is_a_400_envelope(path):
    response = Client(raise_request_exception=False).get(path, HTTP_HOST="evil.example.net")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": 400, "message": "Invalid Host header.", "data": None}


@override_settings(ALLOWED_HOSTS=["itam.example.com"], DEBUG=False)
def test_a_bad_host_elsewhere_keeps_djangos_page():
    response = Client(raise_request_exception=False).get("/admin/", HTTP_HOST="evil.example.net")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


@override_settings(ALLOWED_HOSTS=["itam.example.com"], DEBUG=False)
def test_the_allowed_host_is_answered():
    assert Client().get("/api/health", HTTP_HOST="itam.example.com").status_code == 200


def test_an_error_outside_a_view_under_api_is_a_500_envelope(monkeypatch):
    from itam import middleware

    def broken(request):
        raise RuntimeError("middleware failure")

    monkeypatch.setattr(middleware, "declared_length", broken)
    response = Client(raise_request_exception=False).get("/api/health")
    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "Internal server error.", "data": None}
