"""/servers CRUD (API.md §3.5)."""
import pytest

from conftest import ApiClient

from inventory.models import GPU, Container, PortMapping, Server, Service
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUAssignmentFactory, GPUFactory,
    PortMappingFactory, ServerFactory, ServiceFactory,
)

SERVER_FIELDS = {
    "id", "name", "datacenter_id", "datacenter_name", "environment_id", "environment_name",
    "environment_color", "internal_ip", "external_ip", "cpu_cores", "memory_gb", "disk_gb", "os_type",
    "cpu_usage", "memory_usage", "disk_usage", "status", "responsible_person", "description", "ssh_port",
    "ssh_user", "ssh_command", "container_count", "gpu_count", "created_at", "updated_at",
}


@pytest.fixture
def dc(db):
    return DatacenterFactory(name="DC-North")


@pytest.fixture
def prod(db):
    return EnvironmentFactory(code="prod", name="Production", color="#F56C6C")


def payload(dc, env, **extra):
    return {"name": "web-01", "datacenter_id": dc.pk, "environment_id": env.pk, "internal_ip": "10.0.0.7", **extra}


def test_list_items_have_exactly_the_contract_fields(user_api, dc, prod):
    server = ServerFactory(name="web-01", datacenter=dc, environment=prod, internal_ip="10.0.0.7",
                           responsible_person="Alice")
    ContainerFactory.create_batch(2, server=server)
    GPUFactory(server=server)
    body = user_api.get("/servers").json()
    assert body["pagination"] == {"page": 1, "page_size": 20, "total": 1, "pages": 1}
    item = body["data"][0]
    assert set(item) == SERVER_FIELDS
    assert item | {"created_at": None, "updated_at": None} == {
        "id": server.pk, "name": "web-01", "datacenter_id": dc.pk, "datacenter_name": "DC-North",
        "environment_id": prod.pk, "environment_name": "Production", "environment_color": "#F56C6C",
        "internal_ip": "10.0.0.7", "external_ip": None, "cpu_cores": 16, "memory_gb": 64, "disk_gb": 500,
        "os_type": "Ubuntu 22.04", "cpu_usage": 0.0, "memory_usage": 0.0, "disk_usage": 0.0,
        "status": "online", "responsible_person": "Alice", "description": None, "ssh_port": 22,
        "ssh_user": "root", "ssh_command": "ssh -p 22 root@10.0.0.7", "container_count": 2, "gpu_count": 1,
        "created_at": None, "updated_at": None,
    }
    assert item["created_at"].endswith("+00:00") and len(item["created_at"]) == 25


def test_detail_nests_containers_with_mappings_and_services_and_gpus_in_order(user_api, dc, prod):
    server = ServerFactory(datacenter=dc, environment=prod, internal_ip="10.0.0.7")
    second = ContainerFactory(server=server, name="b", sort_order=1)
    first = ContainerFactory(server=server, name="a", sort_order=0)
    PortMappingFactory(container=first, container_port=443, internal_port=20443)
    PortMappingFactory(container=first, container_port=22, internal_port=20022,
                       external_ip="203.0.113.10", external_port=8022, description="ssh")
    svc_late = ServiceFactory(container=first, name="late", sort_order=5)
    svc_early = ServiceFactory(container=first, name="early", sort_order=1)
    gpu_b = GPUFactory(server=server, index=0, sort_order=1)
    gpu_a = GPUFactory(server=server, index=3, sort_order=0)
    data = user_api.get(f"/servers/{server.pk}").json()["data"]
    assert set(data) == SERVER_FIELDS | {"containers", "gpus"}
    assert [c["id"] for c in data["containers"]] == [first.pk, second.pk]
    assert [g["id"] for g in data["gpus"]] == [gpu_a.pk, gpu_b.pk]
    container = data["containers"][0]
    assert "services" in container and [s["id"] for s in container["services"]] == [svc_early.pk, svc_late.pk]
    assert container["service_count"] == 2
    assert [m["container_port"] for m in container["port_mappings"]] == [22, 443]
    assert container["port_mappings"][0]["mapping_chain"] == "22 → 10.0.0.7:20022 → 203.0.113.10:8022"
    assert container["services"][0]["container_name"] == "a"


def test_create_returns_201_with_the_detail_object(admin_api, dc, prod):
    response = admin_api.post("/servers", payload(dc, prod, cpu_cores="8", memory_usage="12.5", ssh_port="2222"))
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == 0 and body["message"] == "Server created."
    server = Server.objects.get()
    assert body["data"] == admin_api.get(f"/servers/{server.pk}").json()["data"]
    assert body["data"]["cpu_cores"] == 8 and body["data"]["memory_usage"] == 12.5
    assert body["data"]["containers"] == [] and body["data"]["gpus"] == []
    assert body["data"]["ssh_command"] == "ssh -p 2222 root@10.0.0.7"


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_optional_fields_mean_null_and_blank_ssh_user_means_root(admin_api, dc, prod, blank):
    body = payload(dc, prod, external_ip=blank, cpu_cores=blank, os_type=blank, responsible_person=blank,
                   description=blank, ssh_user=blank)
    data = admin_api.post("/servers", body).json()["data"]
    assert [data[k] for k in ("external_ip", "cpu_cores", "os_type", "responsible_person", "description")] == [None] * 5
    assert data["ssh_user"] == "root"


def test_strings_are_trimmed_and_ipv6_is_compressed_lower_case(admin_api, dc, prod):
    data = admin_api.post("/servers", payload(
        dc, prod, name="  web-02 ", internal_ip=" 2001:DB8:0:0:0:0:0:5 ", external_ip="FE80::0001", os_type=" Debian ",
    )).json()["data"]
    assert (data["name"], data["internal_ip"], data["external_ip"], data["os_type"]) == (
        "web-02", "2001:db8::5", "fe80::1", "Debian")


@pytest.mark.parametrize("written", ["::ffff:10.0.0.9", "::FFFF:a00:9", "0:0:0:0:0:ffff:10.0.0.9"])
def test_ipv4_mapped_addresses_read_back_the_same_on_every_database(admin_api, dc, prod, written):
    created = admin_api.post("/servers", payload(dc, prod, name="mapped", internal_ip=written)).json()["data"]
    assert created["internal_ip"] == "::ffff:10.0.0.9"
    assert admin_api.get(f"/servers/{created['id']}").json()["data"]["internal_ip"] == "::ffff:10.0.0.9"
    assert Server.objects.get(pk=created["id"]).internal_ip == "::ffff:10.0.0.9"


@pytest.mark.parametrize("field, value, message", [
    ("internal_ip", "10.0.0.256", "Enter a valid IPv4 or IPv6 address."),
    ("internal_ip", "10.0.0", "Enter a valid IPv4 or IPv6 address."),
    ("internal_ip", "fe80::1%eth0", "Enter a valid IPv4 or IPv6 address."),
    ("internal_ip", 167772161, "Enter a valid IPv4 or IPv6 address."),
    ("internal_ip", "", "This field may not be blank."),
    ("external_ip", "example.com", "Enter a valid IPv4 or IPv6 address."),
    ("name", "x" * 65, ["Use 1-64 characters: letters, digits, '.', '_' or '-'.",
                        "Ensure this field has no more than 64 characters."]),
    ("name", "web/01", "Use 1-64 characters: letters, digits, '.', '_' or '-'."),
    ("name", "  ", "This field may not be blank."),
    ("cpu_cores", 0, "Ensure this value is greater than or equal to 1."),
    ("cpu_cores", "1.5", "A valid integer is required."),
    ("cpu_cores", True, "A valid integer is required."),
    ("memory_gb", 65537, "Ensure this value is less than or equal to 65536."),
    ("disk_gb", "lots", "A valid integer is required."),
    ("cpu_usage", 100.5, "Ensure this value is less than or equal to 100."),
    ("cpu_usage", "NaN", "A valid number is required."),
    ("cpu_usage", False, "A valid number is required."),
    ("status", "broken", '"broken" is not a valid choice.'),
    ("ssh_port", 65536, "Ensure this value is less than or equal to 65535."),
    ("ssh_user", "u" * 33, "Ensure this field has no more than 32 characters."),
    ("datacenter_id", 9999, "Datacenter with id 9999 does not exist."),
    ("datacenter_id", "abc", "A valid integer is required."),
    ("environment_id", 9999, "Environment with id 9999 does not exist."),
    ("environment_id", None, "This field may not be null."),
    ("os_type", ["Debian"], "Not a valid string."),
])
def test_invalid_fields_are_400_on_the_field(admin_api, dc, prod, field, value, message):
    response = admin_api.post("/servers", payload(dc, prod, **{field: value}))
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None,
                               "errors": {field: message if isinstance(message, list) else [message]}}
    assert not Server.objects.exists()


def test_missing_required_fields_are_listed(admin_api):
    body = admin_api.post("/servers", {}).json()
    assert set(body["errors"]) == {"name", "datacenter_id", "environment_id", "internal_ip"}
    assert body["errors"]["name"] == ["This field is required."]


def test_duplicate_name_in_datacenter_is_422_case_insensitively(admin_api, dc, prod):
    ServerFactory(name="Web-01", datacenter=dc)
    response = admin_api.post("/servers", payload(dc, prod, name="web-01"))
    assert response.status_code == 422
    message = "A server with this name already exists in this datacenter."
    assert response.json() == {"code": 422, "message": message, "data": None, "errors": {"name": [message]}}
    other_dc = DatacenterFactory()
    assert admin_api.post("/servers", payload(other_dc, prod, name="web-01")).status_code == 201


def test_put_is_partial_and_ignores_read_only_and_unknown_keys(admin_api, dc, prod):
    server = ServerFactory(name="web-01", datacenter=dc, environment=prod, responsible_person="Alice")
    detail = admin_api.get(f"/servers/{server.pk}").json()["data"]
    sent = {**detail, "status": "maintenance", "id": 999, "container_count": 7, "ssh_command": "x",
            "created_at": "2000-01-01T00:00:00Z", "_type": "server", "children": [], "bogus": 1}
    response = admin_api.put(f"/servers/{server.pk}", sent)
    assert response.status_code == 200 and response.json()["message"] == "Server updated."
    data = response.json()["data"]
    assert data["status"] == "maintenance" and data["id"] == server.pk and data["container_count"] == 0
    assert data["created_at"] == detail["created_at"] and data["responsible_person"] == "Alice"
    assert admin_api.put(f"/servers/{server.pk}", {"description": "rack 4"}).json()["data"]["name"] == "web-01"
    patched = admin_api.patch(f"/servers/{server.pk}", {"os_type": ""}).json()["data"]
    assert patched["os_type"] is None and patched["description"] == "rack 4"


def test_update_can_keep_its_own_name_and_move_datacenter(admin_api, dc, prod):
    server = ServerFactory(name="web-01", datacenter=dc, environment=prod)
    assert admin_api.put(f"/servers/{server.pk}", {"name": "WEB-01"}).status_code == 200
    other = DatacenterFactory()
    ServerFactory(name="web-01", datacenter=other)
    response = admin_api.put(f"/servers/{server.pk}", {"datacenter_id": other.pk})
    assert response.status_code == 422 and response.json()["errors"] == {
        "name": ["A server with this name already exists in this datacenter."]}
    assert Server.objects.get(pk=server.pk).datacenter == dc


def test_delete_cascades_to_containers_services_mappings_gpus_and_assignments(admin_api, dc, prod):
    server = ServerFactory(datacenter=dc, environment=prod)
    container = ContainerFactory(server=server)
    PortMappingFactory(container=container)
    ServiceFactory(container=container)
    gpu = GPUFactory(server=server)
    GPUAssignmentFactory(gpu=gpu)
    response = admin_api.delete(f"/servers/{server.pk}")
    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "Server deleted.", "data": None}
    assert not any(m.objects.exists() for m in (Server, Container, PortMapping, Service, GPU))
    assert admin_api.get(f"/servers/{server.pk}").status_code == 404


def test_unknown_server_is_404_for_every_method(admin_api):
    for call in (admin_api.get, admin_api.put, admin_api.delete):
        response = call("/servers/4242")
        assert response.status_code == 404
        assert response.json() == {"code": 404, "message": "Not found.", "data": None}
    assert admin_api.get("/servers/99999999999999999999999").status_code == 404
    assert admin_api.get("/servers/abc").status_code == 404


def test_filters(user_api, dc, prod):
    staging = EnvironmentFactory(code="staging")
    other_dc = DatacenterFactory()
    a = ServerFactory(name="alpha", datacenter=dc, environment=prod, status="online", internal_ip="10.1.1.1")
    b = ServerFactory(name="beta", datacenter=other_dc, environment=staging, status="offline",
                      external_ip="203.0.113.5", responsible_person="Carol")

    def ids(**params):
        response = user_api.get("/servers", params)
        assert response.status_code == 200, response.json()
        return [s["id"] for s in response.json()["data"]]

    assert ids(datacenter_id=dc.pk) == [a.pk]
    assert ids(environment_id=staging.pk) == [b.pk]
    assert ids(status="offline") == [b.pk]
    assert ids(keyword="ALP") == [a.pk]
    assert ids(keyword="10.1.1") == [a.pk]
    assert ids(keyword="203.0.113") == [b.pk]
    assert ids(keyword="carol") == [b.pk]
    assert ids(datacenter_id="", environment_id="", status="", keyword="", ordering="") == [b.pk, a.pk]


@pytest.mark.parametrize("params, errors", [
    ({"datacenter_id": "abc"}, {"datacenter_id": ["Enter a whole number."]}),
    ({"environment_id": "1.5"}, {"environment_id": ["Enter a whole number."]}),
    ({"status": "ONLINE"}, {"status": ["Select a valid choice. ONLINE is not one of the available choices."]}),
    ({"ordering": "name,password"}, {"ordering": [
        "Unknown ordering field: 'password'. Allowed: id, name, internal_ip, status, datacenter_id, environment_id, "
        "cpu_usage, memory_usage, disk_usage, created_at, updated_at (prefix '-' for descending)."]}),
])
def test_bad_filter_values_are_400_keyed_by_parameter(user_api, params, errors):
    response = user_api.get("/servers", params)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": errors}


def test_ordering_default_and_tie_breaker(user_api, dc, prod):
    servers = [ServerFactory(name=name, datacenter=dc, environment=prod, cpu_usage=usage)
               for name, usage in (("c", 50), ("a", 50), ("b", 10))]
    Server.objects.update(created_at=servers[0].created_at)  # all tie on the default key

    def names(ordering=None):
        params = {"ordering": ordering} if ordering is not None else {}
        return [s["name"] for s in user_api.get("/servers", params).json()["data"]]

    assert names() == ["b", "a", "c"]  # -created_at, then -id
    assert names("name") == ["a", "b", "c"]
    assert names("-name") == ["c", "b", "a"]
    assert names("cpu_usage") == ["b", "c", "a"]  # ties by id ascending
    assert names("-cpu_usage") == ["a", "c", "b"]  # ties by id descending
    assert names(" -cpu_usage , name ") == ["a", "c", "b"]
    assert names("-id") == ["b", "a", "c"]


def make_fleet(count, dc, env):
    servers = ServerFactory.create_batch(count, datacenter=dc, environment=env)
    for server in servers:
        ContainerFactory(server=server)
        GPUFactory(server=server)
    return servers


@pytest.fixture
def session_api(normal_user):
    """Authenticated without token checks, so query counts show only the endpoint's own work."""
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    return api


@pytest.mark.parametrize("count", [1, 50])
def test_list_query_count_does_not_grow_with_rows(session_api, dc, prod, django_assert_num_queries, count):
    make_fleet(count, dc, prod)
    with django_assert_num_queries(2):  # count, page (counts and names are in the page query)
        response = session_api.get("/servers", {"page_size": 100})
    assert len(response.json()["data"]) == count


@pytest.mark.parametrize("count", [1, 5])
def test_detail_query_count_is_constant(session_api, dc, prod, django_assert_num_queries, count):
    server = ServerFactory(datacenter=dc, environment=prod)
    for _ in range(count):
        container = ContainerFactory(server=server)
        PortMappingFactory(container=container)
        ServiceFactory(container=container)
        GPUAssignmentFactory(gpu=GPUFactory(server=server))
    # server, containers, port mappings, services, gpus, open assignments
    with django_assert_num_queries(6):
        response = session_api.get(f"/servers/{server.pk}")
    assert len(response.json()["data"]["containers"]) == count


def test_sending_back_the_received_object_keeps_updated_at(admin_api, dc, prod):
    server = ServerFactory(datacenter=dc, environment=prod, cpu_usage=35)
    detail = admin_api.get(f"/servers/{server.pk}").json()["data"]
    Server.objects.filter(pk=server.pk).update(updated_at="2025-01-01T00:00:00Z")
    detail["updated_at"] = "2025-01-01T00:00:00+00:00"
    assert admin_api.put(f"/servers/{server.pk}", detail).json()["data"] == detail
    moved = admin_api.put(f"/servers/{server.pk}", {**detail, "cpu_usage": "36"}).json()["data"]
    assert moved["cpu_usage"] == 36.0 and moved["updated_at"] != detail["updated_at"]
