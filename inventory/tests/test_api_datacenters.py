"""/datacenters (API.md §3.3; the overview has its own tests)."""
import pytest

from conftest import ApiClient
from inventory.models import Datacenter
from tests.factories import DatacenterFactory, ServerFactory

DATACENTER_FIELDS = {"id", "name", "location", "description", "is_active", "created_at", "server_count"}


def test_list_is_an_unpaginated_array_of_active_datacenters_by_name(user_api):
    south = DatacenterFactory(name="South")
    north = DatacenterFactory(name="North")
    DatacenterFactory(name="Closed", is_active=False)
    body = user_api.get("/datacenters").json()
    assert set(body) == {"code", "message", "data"}
    assert [d["id"] for d in body["data"]] == [north.pk, south.pk]
    assert set(body["data"][0]) == DATACENTER_FIELDS - {"server_count"}


def test_include_stats_and_include_inactive(user_api):
    north = DatacenterFactory(name="North")
    closed = DatacenterFactory(name="Closed", is_active=False)
    ServerFactory.create_batch(2, datacenter=north)
    data = user_api.get("/datacenters", {"include_stats": "True", "include_inactive": "1"}).json()["data"]
    assert [(d["id"], d["server_count"]) for d in data] == [(closed.pk, 0), (north.pk, 2)]
    assert set(data[0]) == DATACENTER_FIELDS
    data = user_api.get("/datacenters", {"include_stats": "false", "include_inactive": "0"}).json()["data"]
    assert [d["id"] for d in data] == [north.pk] and "server_count" not in data[0]
    assert [d["id"] for d in user_api.get("/datacenters", {"include_inactive": ""}).json()["data"]] == [north.pk]


@pytest.mark.parametrize("params, key", [
    ({"include_stats": "yes"}, "include_stats"),
    ({"include_inactive": "2"}, "include_inactive"),
    ({"ordering": "location"}, "ordering"),
])
def test_bad_parameters_are_400(user_api, params, key):
    response = user_api.get("/datacenters", params)
    assert response.status_code == 400 and list(response.json()["errors"]) == [key]


def test_ordering(user_api):
    a, b = DatacenterFactory(name="A"), DatacenterFactory(name="B")
    assert [d["id"] for d in user_api.get("/datacenters", {"ordering": "-name"}).json()["data"]] == [b.pk, a.pk]
    assert [d["id"] for d in user_api.get("/datacenters", {"ordering": "-id"}).json()["data"]] == [b.pk, a.pk]


def test_detail_always_has_server_count_also_when_inactive(user_api):
    dc = DatacenterFactory(name="Closed", is_active=False, location=None)
    ServerFactory(datacenter=dc)
    data = user_api.get(f"/datacenters/{dc.pk}/").json()["data"]
    assert data == {"id": dc.pk, "name": "Closed", "location": None, "description": None, "is_active": False,
                    "created_at": data["created_at"], "server_count": 1}


def test_create_update_delete(admin_api):
    response = admin_api.post("/datacenters", {"name": " Zürich-1 ", "location": "", "is_active": True})
    assert response.status_code == 201 and response.json()["message"] == "Datacenter created."
    data = response.json()["data"]
    assert (data["name"], data["location"], data["server_count"]) == ("Zürich-1", None, 0)
    url = f"/datacenters/{data['id']}"
    updated = admin_api.put(url, {"is_active": False, "description": "old"}).json()
    assert updated["message"] == "Datacenter updated."
    assert (updated["data"]["is_active"], updated["data"]["name"]) == (False, "Zürich-1")
    assert admin_api.delete(url).json() == {"code": 0, "message": "Datacenter deleted.", "data": None}
    assert not Datacenter.objects.exists()


@pytest.mark.parametrize("body, errors", [
    ({"name": "a b"}, {"name": ["Use 1-64 characters: letters, digits, '.', '_' or '-'."]}),
    ({"name": "dc", "is_active": "true"}, {"is_active": ["Must be a boolean (true or false)."]}),
    ({"name": "dc", "is_active": 1}, {"is_active": ["Must be a boolean (true or false)."]}),
    ({"name": "dc", "location": "l" * 129}, {"location": ["Ensure this field has no more than 128 characters."]}),
    ({}, {"name": ["This field is required."]}),
])
def test_invalid_bodies_are_400(admin_api, body, errors):
    response = admin_api.post("/datacenters", body)
    assert response.status_code == 400 and response.json()["errors"] == errors


def test_duplicate_name_is_422_case_insensitively(admin_api):
    DatacenterFactory(name="DC-North")
    response = admin_api.post("/datacenters", {"name": "dc-north"})
    message = "A datacenter with this name already exists."
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": message, "data": None, "errors": {"name": [message]}}


def test_deleting_a_datacenter_with_servers_is_422(admin_api):
    dc = DatacenterFactory()
    ServerFactory.create_batch(3, datacenter=dc)
    response = admin_api.delete(f"/datacenters/{dc.pk}")
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": "This datacenter still has 3 servers; delete or move them first.",
                               "data": None}
    assert Datacenter.objects.filter(pk=dc.pk).exists()


def test_users_cannot_write(user_api):
    dc = DatacenterFactory()
    assert user_api.post("/datacenters", {"name": "x"}).status_code == 403
    assert user_api.put(f"/datacenters/{dc.pk}", {"name": "x"}).status_code == 403
    assert user_api.delete(f"/datacenters/{dc.pk}").status_code == 403


@pytest.mark.parametrize("count", [1, 30])
def test_list_query_count_is_constant(normal_user, django_assert_num_queries, count):
    for dc in DatacenterFactory.create_batch(count):
        ServerFactory(datacenter=dc)
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(1):
        data = api.get("/datacenters", {"include_stats": "true"}).json()["data"]
    assert [d["server_count"] for d in data] == [1] * count
