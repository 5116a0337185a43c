"""CORS: only the origins in CORS_ORIGINS may call the API from a browser; never the admin."""
import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings

ALLOWED = "https://itam-web.example.com"
OTHER = "https://evil.example.net"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allowed_origin")]


@pytest.fixture
def allowed_origin():
    with override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED]):
        yield


def preflight(client, path, origin, method="POST", headers="authorization,content-type,x-request-id"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def test_preflight_from_allowed_origin_is_granted(client):
    response = preflight(client, "/api/servers", ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert {"authorization", "content-type", "x-request-id"} <= {
        h.strip() for h in response["Access-Control-Allow-Headers"].split(",")
    }
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    [OTHER, "http://itam-web.example.com", "https://itam-web.example.com.evil.net", "null", ALLOWED + ":8443"],
)
def test_preflight_from_other_origin_is_not_granted(client, origin):
    response = preflight(client, "/api/servers", origin)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Headers" not in response


def test_actual_response_to_allowed_origin_exposes_request_id(client):
    # A 401 too: a browser client must be able to read it to send the user to the login.
    response = client.get("/api/auth/me", HTTP_ORIGIN=ALLOWED)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"x-request-id", "retry-after", "content-disposition"}
    assert response["Vary"].lower().count("origin") == 1


def test_actual_response_to_other_origin_has_no_cors_headers(client):
    response = client.get("/api/auth/me", HTTP_ORIGIN=OTHER)
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Expose-Headers" not in response


def test_admin_is_never_cross_origin(client):
    assert "Access-Control-Allow-Origin" not in preflight(client, "/admin/login/", ALLOWED)
    assert "Access-Control-Allow-Origin" not in client.get("/admin/login/", HTTP_ORIGIN=ALLOWED)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, []),
        ("https://a.example.com,https://b.example.com:8443", ["https://a.example.com", "https://b.example.com:8443"]),
    ],
)
def test_cors_origins_variable_sets_allowed_origins(value, expected):
    """The deployment variable (comma-separated) reaches django-cors-headers; unset = none."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CORS_ALLOWED_ORIGINS, getattr(settings, 'CORS_ALLOW_ALL_ORIGINS', False)]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "CORS_ORIGINS"}
    env["DJANGO_SETTINGS_MODULE"] = "itam.settings"
    if value is not None:
        env["CORS_ORIGINS"] = value
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [expected, False]
