"""GET /schema and /docs (API.md §9.5), and the schema's fidelity: valid OpenAPI, every
response in the envelope, and real responses of the accounts/system endpoints conforming."""
import re

import pytest
import requests
import schemathesis
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from schemathesis.core.transport import Response as SchemathesisResponse

from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

OWN_MODULES = ("/accounts/", "/itam/api/")


@pytest.fixture(scope="module")
def generated():
    """The schema, generated once, with the warnings emitted while generating it."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, messages


def operation(schema, path, method):
    return schema["paths"][path][method]


def json_schema(op, status):
    return op["responses"][status]["content"]["application/json"]["schema"]


# --- the document ---------------------------------------------------------------------------

def test_schema_is_served_as_json_and_valid_openapi(anon_api):
    response = anon_api.get("/schema", HTTP_AUTHORIZATION="Bearer garbage")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.0") and document["info"]["title"] == "ITAM API"
    validate_schema(document)  # drf-spectacular's OpenAPI 3 validator
    loaded = schemathesis.openapi.from_dict(document)
    assert "/api/auth/login/" in loaded.raw_schema["paths"]


def test_schema_as_yaml(anon_api):
    response = anon_api.get("/schema/", {"format": "yaml"})
    assert response.status_code == 200
    assert "yaml" in response["Content-Type"] or "openapi" in response["Content-Type"]
    assert yaml.safe_load(response.content)["openapi"].startswith("3.0")


def test_no_generator_warnings_for_accounts_and_system_views(generated):
    _, messages = generated
    assert [m for m in messages if any(module in m for module in OWN_MODULES)] == []


def test_bearer_jwt_security_scheme(generated):
    schema, _ = generated
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert {"jwtAuth": []} in operation(schema, "/api/auth/me/", "get")["security"]
    assert operation(schema, "/api/auth/login/", "post")["security"] == [{}]
    assert operation(schema, "/api/health/", "get")["security"] == [{}]


def test_every_json_response_is_in_the_envelope(generated):
    schema, _ = generated
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                body = response.get("content", {}).get("application/json", {}).get("schema")
                if status[0] in "45":
                    assert body is not None, (path, method, status)
                    assert body == {"$ref": "#/components/schemas/ErrorEnvelope"} or body["allOf"][0] == {
                        "$ref": "#/components/schemas/ErrorEnvelope"
                    }
                elif body is not None:
                    assert body["properties"]["code"] == {"type": "integer", "enum": [0]}, (path, method, status)
                    assert {"code", "message", "data"} <= set(body["required"])
            assert {"400", "401", "403", "404", "405", "422", "429"} <= set(op["responses"]), (path, method)


def test_envelope_details(generated):
    schema, _ = generated
    login = json_schema(operation(schema, "/api/auth/login/", "post"), "200")
    assert login["properties"]["data"] == {"$ref": "#/components/schemas/LoginResult"}
    users = json_schema(operation(schema, "/api/users/", "get"), "200")
    assert users["properties"]["pagination"] == {"$ref": "#/components/schemas/Pagination"}
    assert "pagination" in users["required"]
    options = json_schema(operation(schema, "/api/users/options/", "get"), "200")
    assert "pagination" not in options["properties"]
    deleted = operation(schema, "/api/users/{id}/", "delete")["responses"]
    assert "204" not in deleted
    assert json_schema({"responses": deleted}, "200")["properties"]["data"]["nullable"] is True
    unhealthy = json_schema(operation(schema, "/api/health/", "get"), "503")
    assert unhealthy["allOf"][1]["properties"]["data"]["allOf"] == [{"$ref": "#/components/schemas/Health"}]


# --- real responses conform ---------------------------------------------------------------------

def conforming(loaded, template, method, response):
    """Validate a Django test response against the documented responses of the operation."""
    request = requests.Request(method.upper(), f"http://testserver{response.request['PATH_INFO']}").prepare()
    converted = SchemathesisResponse(
        status_code=response.status_code,
        headers={key.lower(): [value] for key, value in response.items()},
        content=response.content,
        request=request,
        elapsed=0.0,
        verify=True,
    )
    loaded[template][method.upper()].validate_response(converted)
    return True


def test_real_responses_conform_to_the_schema(generated, anon_api, admin_api, user_api, admin_user, normal_user):
    loaded = schemathesis.openapi.from_dict(generated[0])
    tokens = anon_api.post("/auth/login", {"username": "admin", "password": PASSWORD}).json()["data"]
    calls = [
        (anon_api, "/api/auth/login/", "post", {"username": "admin", "password": PASSWORD}),
        (anon_api, "/api/auth/login/", "post", {"username": "admin", "password": "wrong"}),
        (anon_api, "/api/auth/login/", "post", {}),
        (anon_api, "/api/auth/refresh/", "post", {"refresh_token": tokens["refresh_token"]}),
        (admin_api, "/api/auth/me/", "get", None),
        (anon_api, "/api/auth/me/", "get", None),
        (admin_api, "/api/users/", "get", None),
        (user_api, "/api/users/", "get", None),
        (admin_api, "/api/users/", "get", {"ordering": "nope"}),
        (user_api, "/api/users/options/", "get", None),
        (admin_api, "/api/users/{id}/", "get", None),
        (user_api, "/api/users/{id}/", "get", None),
        (admin_api, "/api/users/{id}/", "put", {"display_name": ""}),
        (admin_api, "/api/users/{id}/", "put", {"display_name": "Alice B"}),
        (admin_api, "/api/users/", "post", {"username": "erin", "password": "Long-enough-pass-1", "display_name": "Erin"}),
        (admin_api, "/api/users/{self}/", "delete", None),
        (admin_api, "/api/users/{id}/", "delete", None),
        (admin_api, "/api/user/preferences/", "get", None),
        (admin_api, "/api/user/preferences/", "put", {"panel_width": 300}),
        (anon_api, "/api/health/", "get", None),
        (admin_api, "/api/auth/logout/", "post", {}),
    ]
    for client, template, method, body in calls:
        path = template.replace("{self}", str(admin_user.pk)).replace("{id}", str(normal_user.pk))
        call = getattr(client.client, method)
        response = call(path, body, format="json") if method in ("post", "put") else call(path, body)
        assert conforming(loaded, template.replace("{self}", "{id}"), method, response)


# --- Swagger UI -------------------------------------------------------------------------------

def test_docs_are_self_contained(anon_api):
    response = anon_api.get("/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), "no external host may be referenced"
    assert '"validatorUrl": null' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not served by the application"
    assert "/api/schema" in html
