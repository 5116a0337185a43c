"""The envelope, routing and request-body rules of API.md §1, through the inventory routes."""
import pytest

from inventory.models import Datacenter, Server
from itam import persistence
from tests.factories import DatacenterFactory, EnvironmentFactory, ServerFactory


def test_read_envelope(user_api):
    dc = DatacenterFactory(name="North")
    response = user_api.get(f"/datacenters/{dc.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["code", "message", "data"] and body["code"] == 0 and body["message"] == "success"


@pytest.mark.parametrize("path", ["/api/servers", "/api/servers/", "/api/datacenters", "/api/datacenters/"])
def test_routes_answer_with_and_without_trailing_slash(user_api, path):
    response = user_api.client.get(path)
    assert response.status_code == 200 and response.json()["code"] == 0


def test_detail_and_writes_answer_with_and_without_trailing_slash(admin_api):
    dc = DatacenterFactory()
    assert admin_api.client.get(f"/api/datacenters/{dc.pk}/").status_code == 200
    assert admin_api.client.put(f"/api/datacenters/{dc.pk}/", {"location": "x"}, format="json").status_code == 200
    assert admin_api.client.post("/api/datacenters/", {"name": "n"}, format="json").status_code == 201
    assert admin_api.client.delete(f"/api/datacenters/{dc.pk}").status_code == 200


@pytest.mark.parametrize("path", [
    "/api/servers/abc", "/api/servers/-1", "/api/servers/1/extra", "/api/serverz",
    "/api/users/%0A/", "/api/audit-logs/%C2%97q%20%C2%9D%10X%0E%F3%B3%BB%A3/", "/api/%0A",  # line breaks (fuzzing)
])
def test_unknown_routes_are_json_404(user_api, path):
    response = user_api.client.get(path)
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Not found.", "data": None}


def test_405_carries_allow_header_in_the_envelope(admin_api):
    dc = DatacenterFactory()
    response = admin_api.client.post(f"/api/datacenters/{dc.pk}", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"code": 405, "message": 'Method "POST" not allowed.', "data": None}
    assert response["Allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    listing = admin_api.client.delete("/api/datacenters")
    assert listing.status_code == 405 and listing["Allow"] == "GET, POST, HEAD, OPTIONS"


@pytest.mark.parametrize("raw", ['{"name": ', "[1, 2]", '"dc"', "42", "null"])
def test_malformed_or_non_object_json_is_400(admin_api, raw):
    response = admin_api.client.post("/api/datacenters", raw, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and body["data"] is None and body["message"].startswith("Malformed request body")
    assert not Datacenter.objects.exists()


def test_non_object_body_on_update_is_400(admin_api):
    dc = DatacenterFactory(name="keep")
    response = admin_api.client.put(f"/api/datacenters/{dc.pk}", "[]", content_type="application/json")
    assert response.status_code == 400 and Datacenter.objects.get().name == "keep"


def test_unsupported_content_type_is_400(admin_api):
    response = admin_api.client.post("/api/datacenters", "name=x", content_type="text/plain")
    assert response.status_code == 400 and response.json()["code"] == 400


def test_write_message_and_201(admin_api):
    response = admin_api.post("/datacenters", {"name": "n"})
    assert response.status_code == 201
    assert response.json()["message"] == "Datacenter created." and response.json()["code"] == 0


def test_concurrent_duplicate_integrity_error_becomes_the_same_422(admin_api, monkeypatch):
    """Another writer inserts the same name between our check and our INSERT."""
    dc = DatacenterFactory()
    env = EnvironmentFactory()
    ServerFactory(name="web-01", datacenter=dc)
    real = persistence.unique_conflicts
    calls = []

    def first_check_misses(instance):
        calls.append(instance)
        return {} if len(calls) == 1 else real(instance)

    monkeypatch.setattr(persistence, "unique_conflicts", first_check_misses)
    response = admin_api.post("/servers", {"name": "WEB-01", "datacenter_id": dc.pk, "environment_id": env.pk,
                                           "internal_ip": "10.0.0.1"})
    assert len(calls) == 2
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": ["A server with this name already exists in this datacenter."]}
    assert Server.objects.count() == 1


def test_a_failed_write_changes_nothing(admin_api, monkeypatch):
    """Every write is one transaction: an error after the container row is written undoes it."""
    server = ServerFactory()
    from inventory.models import Container, PortMapping

    def explode(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PortMapping, "save", explode)
    response = admin_api.post("/containers", {"name": "c", "server_id": server.pk,
                                              "port_mappings": [{"container_port": 1, "internal_port": 2}]})
    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "Internal server error.", "data": None}
    assert not Container.objects.exists()


def test_head_and_options_answer_without_error(admin_api):
    dc = DatacenterFactory()
    assert admin_api.client.head(f"/api/datacenters/{dc.pk}").status_code == 200
    options = admin_api.client.options("/api/servers")
    assert options.status_code == 200 and options.json()["code"] == 0
