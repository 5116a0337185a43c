"""Oversized, deeply nested, huge or malformed requests get a clear envelope, never a 500."""
import json

import pytest
from django.conf import settings
from django.test import override_settings

from inventory.models import Server
from itam.api.parsers import MAX_JSON_DEPTH
from tests.factories import DatacenterFactory, EnvironmentFactory, ServerFactory

pytestmark = pytest.mark.django_db

TOO_LARGE = {"code": 413, "message": "Request body is too large.", "data": None}


def raw_post(api, path, body, content_type="application/json"):
    return api.client.post("/api" + path, data=body, content_type=content_type)


def error_of(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == status and body["data"] is None
    return body


@pytest.fixture
def placement():
    return {"datacenter_id": DatacenterFactory().pk, "environment_id": EnvironmentFactory().pk}


def server_body(placement, **extra):
    return {"name": "web-01", "internal_ip": "10.0.0.1", **placement, **extra}


# --- Body size -------------------------------------------------------------------------------


def test_json_body_over_the_limit_is_413_and_changes_nothing(admin_api, placement):
    padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = raw_post(admin_api, "/servers", json.dumps(server_body(placement, description=padding)))
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response["X-Request-ID"]
    assert not Server.objects.exists()


def test_json_body_at_the_limit_is_parsed(admin_api, placement):
    body = json.dumps(server_body(placement, description=""))
    fill = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len(body)
    body = json.dumps(server_body(placement, description="d" * fill))
    assert len(body) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = raw_post(admin_api, "/servers", body)
    assert response.status_code == 201
    assert len(response.json()["data"]["description"]) == fill


def test_oversized_body_is_refused_before_authentication(anon_api):
    response = raw_post(anon_api, "/servers", "[" + " " * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + "]")
    assert response.json() == TOO_LARGE


def test_form_body_over_the_limit_is_413(admin_api):
    body = "description=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = raw_post(admin_api, "/servers", body, "application/x-www-form-urlencoded")
    assert response.json() == TOO_LARGE


@override_settings(IMPORT_MAX_UPLOAD_BYTES=200_000)
def test_upload_over_the_import_limit_is_413(admin_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    workbook = SimpleUploadedFile("fleet.xlsx", b"\0" * 300_000, content_type="application/octet-stream")
    response = admin_api.client.post("/api/import-export/import", {"file": workbook}, format="multipart")
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


@override_settings(IMPORT_MAX_UPLOAD_BYTES=200_000)
def test_upload_under_the_import_limit_reaches_the_import(admin_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    not_a_workbook = SimpleUploadedFile("fleet.xlsx", b"\0" * 150_000, content_type="application/octet-stream")
    response = admin_api.client.post("/api/import-export/import", {"file": not_a_workbook}, format="multipart")
    assert response.status_code == 400  # read and refused as not a workbook, not as too large
    assert response.json()["code"] == 400


def test_too_many_form_fields_is_400(admin_api):
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    body = error_of(raw_post(admin_api, "/servers", body, "application/x-www-form-urlencoded"), 400)
    assert body["message"] == "Malformed request body: too many fields."


# --- Nesting, size and shape of JSON -----------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
@pytest.mark.parametrize("bracket", ["[]", "{}"])
def test_deeply_nested_json_is_400(admin_api, depth, bracket):
    opening, closing = (bracket[0], bracket[1]) if bracket == "[]" else ('{"a":', "}")
    body = opening * depth + ("1" if bracket == "{}" else "") + closing * depth
    if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        pytest.skip("larger than the body limit (413, covered above)")
    body = error_of(raw_post(admin_api, "/servers", body), 400)
    assert body["message"] == f"Malformed request body: JSON is nested more than {MAX_JSON_DEPTH} levels deep."


def test_nesting_at_the_limit_is_an_ordinary_validation_error(admin_api, placement):
    nested = 1
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    body = error_of(raw_post(admin_api, "/servers", json.dumps(server_body(placement, name=nested))), 400)
    assert body["message"] == "Validation failed."
    assert "name" in body["errors"]


def test_huge_flat_json_within_the_limit_is_answered(admin_api):
    ids = list(range(1, 200_001))
    body = error_of(raw_post(admin_api, "/servers/batch-delete", json.dumps({"ids": ids})), 400)
    assert list(body["errors"]) == ["ids"]


@pytest.mark.parametrize(
    "body",
    ["", "{", '{"name": }', "[]", '"text"', "null", "42", "true", "\xff\xfe{}", '{"a": NaN}', '{"a": Infinity}',
     '{"cpu_cores": 1' + "0" * 5000 + "}"],
    ids=["empty", "truncated", "invalid", "array", "string", "null", "number", "bool", "bad utf-8", "NaN",
         "Infinity", "5000-digit int"],
)
def test_malformed_or_non_object_body_is_400(admin_api, body):
    response = admin_api.client.post("/api/servers", data=body.encode("latin-1"), content_type="application/json")
    error_of(response, 400)


@pytest.mark.parametrize("field", ["cpu_cores", "memory_gb", "disk_gb", "ssh_port", "cpu_usage", "datacenter_id"])
def test_out_of_range_numbers_are_400(admin_api, placement, field):
    for value in [10**30, -(10**30), 1e308, -1e308, "1e999", 2**63, 2**31]:
        body = error_of(admin_api.post("/servers", server_body(placement, **{field: value})), 400)
        assert list(body["errors"]) == [field], value


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/json-patch+json"])
def test_unsupported_content_type_is_400(admin_api, placement, content_type):
    error_of(raw_post(admin_api, "/servers", json.dumps(server_body(placement)), content_type), 400)


# --- Pagination and query strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "params, page, page_size",
    [
        ({"page_size": 10**9}, 1, 100),
        ({"page_size": "1e9"}, 1, 20),
        ({"page_size": -(10**9)}, 1, 1),
        ({"page": 10**9, "page_size": 10**9}, 10**9, 100),
        ({"page": 10**40}, 10**40, 20),
        ({"page": "-5"}, 1, 20),
        ({"page": "abc", "page_size": "0x10"}, 1, 20),
    ],
)
def test_extreme_pagination_is_clamped(user_api, params, page, page_size):
    ServerFactory.create_batch(3)
    response = user_api.get("/servers", params)
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": page, "page_size": page_size, "total": 3, "pages": -(-3 // page_size)}
    assert len(body["data"]) == (min(3, page_size) if page == 1 else 0)


def test_very_long_keyword_matches_nothing(user_api):
    ServerFactory.create_batch(2)
    response = user_api.get("/servers", {"keyword": "k" * 6000})
    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 0


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**40])
def test_ids_beyond_64_bits_in_bodies_are_400(admin_api, value):
    """Found by the fuzzer: such ids reached the database driver (OverflowError, a 500)."""
    body = error_of(admin_api.post("/containers/update-sort-order", {"items": [{"id": value, "sort_order": 0}]}), 400)
    assert list(body["errors"]) == ["items.0.id"]
    body = error_of(admin_api.post("/servers/batch-delete", {"ids": [1, value]}), 400)
    assert list(body["errors"]) == ["ids.1"]
    body = error_of(admin_api.client.post("/api/servers/batch-delete", f"ids={value}",
                                          content_type="application/x-www-form-urlencoded"), 400)
    assert list(body["errors"]) == ["ids.0"]
