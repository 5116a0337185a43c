"""/containers CRUD with nested port mappings (API.md §3.6)."""
import pytest

from audit.models import AuditLog
from conftest import ApiClient
from inventory.models import Container, PortMapping, Service
from tests.factories import ContainerFactory, PortMappingFactory, ServerFactory, ServiceFactory

CONTAINER_FIELDS = {
    "id", "name", "server_id", "server_name", "owner_id", "owner_name", "assigned_user_id",
    "assigned_user_name", "purpose", "image", "container_id", "cpu_limit", "memory_limit_mb", "cpu_usage",
    "memory_usage", "status", "description", "sort_order", "service_count", "port_mappings", "created_at",
    "updated_at",
}
MAPPING_FIELDS = {
    "id", "container_id", "container_port", "internal_ip", "internal_port", "external_ip", "external_port",
    "protocol", "description", "internal_address", "external_address", "mapping_chain",
}


@pytest.fixture
def server(db):
    return ServerFactory(name="web-01", internal_ip="10.0.0.7")


def ssh(**extra):
    return {"container_port": 22, "internal_port": 20022, **extra}


def test_create_sets_owner_to_caller_and_returns_the_detail(user_api, normal_user, other_user, server):
    response = user_api.post("/containers", {
        "name": "nginx-01", "server_id": server.pk, "owner_id": other_user.pk, "assigned_user_id": other_user.pk,
        "purpose": "rules engine development", "image": "nginx:1.27", "cpu_limit": "2", "memory_limit_mb": "2048",
        "port_mappings": [ssh(external_ip="203.0.113.10", external_port=8022, protocol="TCP", description="ssh")],
    })
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Container created."
    data = body["data"]
    assert set(data) == CONTAINER_FIELDS | {"services"}
    container = Container.objects.get()
    assert data == ApiClient(normal_user).get(f"/containers/{container.pk}").json()["data"]
    assert (data["owner_id"], data["owner_name"]) == (normal_user.pk, "Alice")
    assert (data["assigned_user_id"], data["assigned_user_name"]) == (other_user.pk, "Bob")
    assert (data["cpu_limit"], data["memory_limit_mb"], data["services"], data["sort_order"]) == (2.0, 2048, [], 0)
    mapping = data["port_mappings"][0]
    assert set(mapping) == MAPPING_FIELDS
    assert mapping == {
        "id": mapping["id"], "container_id": container.pk, "container_port": 22, "internal_ip": None,
        "internal_port": 20022, "external_ip": "203.0.113.10", "external_port": 8022, "protocol": "tcp",
        "description": "ssh", "internal_address": "10.0.0.7:20022", "external_address": "203.0.113.10:8022",
        "mapping_chain": "22 → 10.0.0.7:20022 → 203.0.113.10:8022",
    }


def test_list_items_have_no_services(user_api, server):
    ContainerFactory(server=server)
    item = user_api.get("/containers").json()["data"][0]
    assert set(item) == CONTAINER_FIELDS


def test_ipv6_mapping_addresses_use_brackets(user_api, server):
    data = user_api.post("/containers", {"name": "c", "server_id": server.pk, "port_mappings": [
        ssh(internal_ip="2001:DB8::5", external_ip="2001:db8:0::9", external_port=22)]}).json()["data"]
    mapping = data["port_mappings"][0]
    assert mapping["internal_ip"] == "2001:db8::5"
    assert mapping["internal_address"] == "[2001:db8::5]:20022"
    assert mapping["mapping_chain"] == "22 → [2001:db8::5]:20022 → [2001:db8::9]:22"


def test_mappings_are_ordered_by_container_port(user_api, server):
    data = user_api.post("/containers", {"name": "c", "server_id": server.pk, "port_mappings": [
        {"container_port": 443, "internal_port": 1}, {"container_port": "80", "internal_port": "2"}]}).json()["data"]
    assert [m["container_port"] for m in data["port_mappings"]] == [80, 443]


def test_mapping_errors_are_dotted_with_indices(user_api, server):
    response = user_api.post("/containers", {"name": "c", "server_id": server.pk, "port_mappings": [
        ssh(), {"container_port": 70000, "internal_port": "x", "protocol": "icmp", "internal_ip": "300.1.1.1"}]})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "port_mappings.1.container_port": ["Ensure this value is less than or equal to 65535."],
        "port_mappings.1.internal_port": ["A valid integer is required."],
        "port_mappings.1.protocol": ['"icmp" is not a valid choice.'],
        "port_mappings.1.internal_ip": ["Enter a valid IPv4 or IPv6 address."],
    }
    assert not Container.objects.exists()


@pytest.mark.parametrize("value, error", [
    ("ssh", {"port_mappings": ['Expected a list of items but got type "str".']}),
    ([5], {"port_mappings.0.non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}),
])
def test_port_mappings_must_be_a_list_of_objects(user_api, server, value, error):
    response = user_api.post("/containers", {"name": "c", "server_id": server.pk, "port_mappings": value})
    assert response.status_code == 400 and response.json()["errors"] == error


def test_update_replaces_mappings_only_when_the_key_is_present(user_api, normal_user, server):
    container = ContainerFactory(server=server, owner=normal_user)
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    url = f"/containers/{container.pk}"
    assert len(user_api.put(url, {"purpose": "x"}).json()["data"]["port_mappings"]) == 1
    data = user_api.put(url, {"port_mappings": [ssh(), {"container_port": 53, "internal_port": 5353,
                                                         "protocol": "Udp"}]}).json()["data"]
    assert [(m["container_port"], m["protocol"]) for m in data["port_mappings"]] == [(22, "tcp"), (53, "udp")]
    assert PortMapping.objects.count() == 2
    assert user_api.put(url, {"port_mappings": None}).json()["data"]["port_mappings"] == []
    user_api.put(url, {"port_mappings": [ssh()]})
    assert user_api.put(url, {"port_mappings": []}).json()["data"]["port_mappings"] == []
    assert not PortMapping.objects.exists()


def test_mapping_only_update_writes_one_audit_entry_with_chain_changes(user_api, normal_user, server):
    container = ContainerFactory(server=server, owner=normal_user)
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    AuditLog.objects.all().delete()
    response = user_api.put(f"/containers/{container.pk}", {"port_mappings": [ssh()]})
    assert response.status_code == 200
    entry = AuditLog.objects.get(resource_type="container")
    assert entry.action == "update"
    assert entry.changes == {"port_mappings": {"old": ["80 → 10.0.0.7:8080"], "new": ["22 → 10.0.0.7:20022"]}}


def test_create_audit_entry_lists_the_new_chains(user_api, server):
    user_api.post("/containers", {"name": "c", "server_id": server.pk, "port_mappings": [ssh()]})
    entry = AuditLog.objects.get(resource_type="container", action="create")
    assert entry.changes["port_mappings"] == {"old": None, "new": ["22 → 10.0.0.7:20022"]}


def test_invalid_mapping_on_update_changes_nothing(user_api, normal_user, server):
    container = ContainerFactory(server=server, owner=normal_user, purpose="keep")
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    response = user_api.put(f"/containers/{container.pk}", {"purpose": "new", "port_mappings": [{"container_port": 1}]})
    assert response.status_code == 400
    assert response.json()["errors"] == {"port_mappings.0.internal_port": ["This field is required."]}
    assert Container.objects.get().purpose == "keep" and PortMapping.objects.get().container_port == 80


def test_blank_optional_fields_mean_null(user_api, server):
    data = user_api.post("/containers", {
        "name": "c", "server_id": server.pk, "assigned_user_id": "", "purpose": "", "image": " ", "cpu_limit": "",
        "memory_limit_mb": "", "container_id": "", "description": "", "port_mappings": [
            ssh(internal_ip="", external_ip=" ", external_port="", description="")],
    }).json()["data"]
    assert [data[k] for k in ("assigned_user_id", "purpose", "image", "cpu_limit", "memory_limit_mb",
                              "container_id", "description")] == [None] * 7
    mapping = data["port_mappings"][0]
    assert [mapping[k] for k in ("internal_ip", "external_ip", "external_port", "description",
                                 "external_address")] == [None] * 5


@pytest.mark.parametrize("field, value, message", [
    ("server_id", 9999, "Server with id 9999 does not exist."),
    ("assigned_user_id", 9999, "User with id 9999 does not exist."),
    ("cpu_limit", 0.05, "Ensure this value is greater than or equal to 0.1."),
    ("memory_limit_mb", 63, "Ensure this value is greater than or equal to 64."),
    ("status", "paused", '"paused" is not a valid choice.'),
    ("purpose", "p" * 201, "Ensure this field has no more than 200 characters."),
    ("memory_usage", -1, "Ensure this value is greater than or equal to 0."),
])
def test_invalid_fields_are_400(user_api, server, field, value, message):
    response = user_api.post("/containers", {"name": "c", "server_id": server.pk, field: value})
    assert response.status_code == 400 and response.json()["errors"] == {field: [message]}


def test_duplicate_name_on_the_server_is_422(user_api, server):
    ContainerFactory(server=server, name="Nginx")
    response = user_api.post("/containers", {"name": "nginx", "server_id": server.pk})
    message = "A container with this name already exists on this server."
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": message, "data": None, "errors": {"name": [message]}}


def test_moving_to_another_server_recomputes_addresses(admin_api, server):
    container = ContainerFactory(server=server)
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    target = ServerFactory(internal_ip="10.9.9.9")
    data = admin_api.put(f"/containers/{container.pk}", {"server_id": target.pk}).json()["data"]
    assert (data["server_id"], data["server_name"]) == (target.pk, target.name)
    assert data["port_mappings"][0]["internal_address"] == "10.9.9.9:8080"


def test_owner_or_admin_may_change_or_delete(user_api, admin_api, normal_user, other_user, server):
    mine = ContainerFactory(server=server, owner=normal_user)
    theirs = ContainerFactory(server=server, owner=other_user)
    assert user_api.put(f"/containers/{mine.pk}", {"purpose": "mine"}).status_code == 200
    denied = user_api.put(f"/containers/{theirs.pk}", {"purpose": "x"})
    assert denied.status_code == 403
    assert denied.json() == {"code": 403, "message": "Only the owner or an administrator may change this object.",
                             "data": None}
    assert user_api.delete(f"/containers/{theirs.pk}").status_code == 403
    assert admin_api.put(f"/containers/{theirs.pk}", {"purpose": "admin"}).status_code == 200
    assert Container.objects.get(pk=theirs.pk).owner == other_user  # an update never changes the owner


def test_delete_removes_mappings_and_services(user_api, normal_user, server):
    container = ContainerFactory(server=server, owner=normal_user)
    PortMappingFactory(container=container)
    ServiceFactory(container=container)
    response = user_api.delete(f"/containers/{container.pk}")
    assert response.json() == {"code": 0, "message": "Container deleted.", "data": None}
    assert not (Container.objects.exists() or PortMapping.objects.exists() or Service.objects.exists())


def test_filters_and_ordering(user_api, normal_user, other_user, server):
    a = ContainerFactory(server=server, name="alpha", owner=normal_user, status="running", sort_order=2)
    b = ContainerFactory(server=server, name="beta", owner=other_user, assigned_user=normal_user, status="stopped")
    c = ContainerFactory(name="gamma", owner=other_user, sort_order=1)

    def ids(**params):
        response = user_api.get("/containers", params)
        assert response.status_code == 200, response.json()
        return [x["id"] for x in response.json()["data"]]

    assert ids(server_id=server.pk, ordering="name") == [a.pk, b.pk]
    assert ids(owner_id=other_user.pk, ordering="id") == [b.pk, c.pk]
    assert ids(assigned_user_id=normal_user.pk) == [b.pk]
    assert ids(status="stopped") == [b.pk]
    assert ids(keyword="AMM") == [c.pk]
    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(ordering="-sort_order") == [a.pk, c.pk, b.pk]
    assert user_api.get("/containers", {"owner_id": "me"}).json()["errors"] == {"owner_id": ["Enter a whole number."]}
    assert user_api.get("/containers", {"ordering": "image"}).status_code == 400


@pytest.mark.parametrize("count", [1, 50])
def test_list_query_count_is_constant(normal_user, server, django_assert_num_queries, count):
    for container in ContainerFactory.create_batch(count, server=server):
        PortMappingFactory(container=container)
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(3):  # count, page, port mappings
        response = api.get("/containers", {"page_size": 100})
    assert len(response.json()["data"]) == count


def test_detail_query_count(normal_user, server, django_assert_num_queries):
    container = ContainerFactory(server=server)
    PortMappingFactory.create_batch(3, container=container)
    ServiceFactory.create_batch(3, container=container)
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(3):  # container, port mappings, services
        assert api.get(f"/containers/{container.pk}").status_code == 200


def test_sending_back_the_received_object_changes_nothing(user_api, normal_user, server):
    container = ContainerFactory(server=server, owner=normal_user)
    PortMappingFactory(container=container, container_port=80, internal_port=8080, protocol="udp")
    PortMappingFactory(container=container, container_port=22, internal_port=2222, external_ip="203.0.113.1")
    url = f"/containers/{container.pk}"
    detail = user_api.get(url).json()["data"]
    AuditLog.objects.all().delete()
    response = user_api.put(url, detail)
    assert response.status_code == 200 and response.json()["data"] == detail  # same mapping ids, same updated_at
    assert not AuditLog.objects.exists()
    changed = user_api.put(url, {**detail, "purpose": "new"}).json()["data"]
    assert changed["port_mappings"] == detail["port_mappings"] and changed["purpose"] == "new"
    assert AuditLog.objects.get().changes == {"purpose": {"old": None, "new": "new"}}
