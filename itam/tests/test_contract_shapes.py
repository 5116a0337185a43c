"""Contract walk-through (API.md §3–§9): the exact key set of every object a client reads.

One realistic fleet is built once per test; every endpoint is read as a client would and each
object's keys are compared with the contract's field tables. Deep per-resource behaviour lives
in the resource test files; this file guards the shapes existing clients parse.
"""
import re

import pytest

from inventory.models import GPU
from tests.factories import (
    ContainerFactory,
    DatacenterFactory,
    EnvironmentFactory,
    GPUAssignmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
)

DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")

USER_FULL = {"id", "username", "display_name", "email", "role", "is_active", "created_at"}
USER_DIRECTORY = {"id", "username", "display_name"}
DATACENTER = {"id", "name", "location", "description", "is_active", "created_at"}
OVERVIEW = {"id", "name", "location", "server_count", "container_count", "service_count",
            "gpu_server_count", "env_stats", "status_stats"}
ENVIRONMENT = {"id", "name", "code", "color", "sort_order", "server_count"}
SERVER = {"id", "name", "datacenter_id", "datacenter_name", "environment_id", "environment_name",
          "environment_color", "internal_ip", "external_ip", "cpu_cores", "memory_gb", "disk_gb",
          "os_type", "cpu_usage", "memory_usage", "disk_usage", "status", "responsible_person",
          "description", "ssh_port", "ssh_user", "ssh_command", "container_count", "gpu_count",
          "created_at", "updated_at"}
PORT_MAPPING = {"id", "container_id", "container_port", "internal_ip", "internal_port", "external_ip",
                "external_port", "protocol", "description", "internal_address", "external_address",
                "mapping_chain"}
CONTAINER = {"id", "name", "server_id", "server_name", "owner_id", "owner_name", "assigned_user_id",
             "assigned_user_name", "purpose", "image", "container_id", "cpu_limit", "memory_limit_mb",
             "cpu_usage", "memory_usage", "status", "description", "sort_order", "service_count",
             "port_mappings", "created_at", "updated_at"}
SERVICE = {"id", "name", "container_id", "container_name", "owner_id", "owner_name", "service_type",
           "port", "version", "status", "health_check_url", "description", "sort_order",
           "created_at", "updated_at"}
GPU_KEYS = {"id", "server_id", "server_name", "assigned_to", "assigned_user_name", "model", "memory_gb",
            "index", "gpu_usage", "memory_usage", "status", "is_available", "purpose", "assigned_at",
            "expires_at", "description", "sort_order", "created_at", "updated_at"}
ASSIGNMENT = {"id", "gpu_id", "user_id", "user_name", "assigned_by_id", "assigned_by_name", "purpose",
              "assigned_at", "expires_at", "released_at", "released_by_id", "release_reason"}
AUDIT_LIST = {"id", "user_id", "username", "action", "resource_type", "resource_id", "resource_name",
              "ip_address", "created_at", "request_id"}
AUDIT_DETAIL = AUDIT_LIST | {"changes", "snapshot", "user_agent"}
RESOURCE_CARD = {"_type", "id", "cpu_usage", "memory_usage", "disk_usage", "cpu_cores", "memory_gb",
                 "disk_gb", "gpu_count", "updated_at", "ssh_command", "internal_ip"}
PREFERENCES = {"grouping_mode", "view_mode", "panel_width", "show_detail_bar", "updated_at"}
SHEET_REPORT = {"created", "updated", "skipped", "errors"}
PAGINATION = {"page", "page_size", "total", "pages"}


def data(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "data"} and body["code"] == 0
    return body["data"]


def page(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"code", "message", "data", "pagination"} and set(body["pagination"]) == PAGINATION
    assert isinstance(body["data"], list)
    return body["data"]


def assert_datetimes(obj, *keys):
    for key in keys:
        assert obj[key] is None or DATETIME.match(obj[key]), (key, obj[key])


@pytest.fixture
def fleet(admin_user, normal_user, other_user):
    """A datacenter with one server holding a container (IPv4 and IPv6 mappings, a service) and
    an assigned GPU: every nested shape has at least one instance."""
    dc = DatacenterFactory(name="DC-North", location="Building A")
    env = EnvironmentFactory(code="prod")
    server = ServerFactory(name="web-01", datacenter=dc, environment=env, internal_ip="10.0.0.7")
    container = ContainerFactory(name="nginx-01", server=server, owner=normal_user,
                                 assigned_user=other_user, purpose="rules engine development")
    PortMappingFactory(container=container, container_port=22, internal_port=20022,
                       external_ip="203.0.113.10", external_port=8022, description="ssh")
    PortMappingFactory(container=container, container_port=80, internal_ip="2001:db8::5",
                       internal_port=20080, external_ip="2001:db8::9", external_port=80)
    PortMappingFactory(container=container, container_port=443, internal_port=20443)
    service = ServiceFactory(name="nginx-80", container=container, owner=normal_user)
    gpu = GPUFactory(server=server, index=0, status="in_use", assigned_to=other_user)
    GPUAssignmentFactory(gpu=gpu, user=other_user, purpose="LLM fine-tuning", assigned_by=admin_user)
    return {"dc": dc, "env": env, "server": server, "container": container, "service": service, "gpu": gpu}


def test_server_detail_nests_containers_services_and_gpus(user_api, fleet):
    detail = data(user_api.get(f"/servers/{fleet['server'].pk}"))
    assert set(detail) == SERVER | {"containers", "gpus"}
    assert detail["ssh_command"] == "ssh -p 22 root@10.0.0.7"
    assert detail["container_count"] == 1 and detail["gpu_count"] == 1
    assert_datetimes(detail, "created_at", "updated_at")
    (container,) = detail["containers"]
    assert set(container) == CONTAINER | {"services"}
    assert container["assigned_user_name"] == "Bob" and container["owner_name"] == "Alice"
    assert container["purpose"] == "rules engine development"
    (service,) = container["services"]
    assert set(service) == SERVICE and service["container_name"] == "nginx-01"
    (gpu,) = detail["gpus"]
    assert set(gpu) == GPU_KEYS
    assert (gpu["status"], gpu["assigned_to"], gpu["assigned_user_name"], gpu["is_available"]) == (
        "in_use", fleet["gpu"].assigned_to_id, "Bob", False)
    assert gpu["purpose"] == "LLM fine-tuning"
    assert_datetimes(gpu, "assigned_at", "expires_at", "created_at", "updated_at")


def test_port_mapping_computed_fields(user_api, fleet):
    container = data(user_api.get(f"/containers/{fleet['container'].pk}"))
    assert set(container) == CONTAINER | {"services"}
    mappings = container["port_mappings"]
    assert all(set(m) == PORT_MAPPING for m in mappings)
    assert [(m["container_port"], m["internal_address"], m["external_address"], m["mapping_chain"]) for m in mappings] == [
        (22, "10.0.0.7:20022", "203.0.113.10:8022", "22 \u2192 10.0.0.7:20022 \u2192 203.0.113.10:8022"),
        (80, "[2001:db8::5]:20080", "[2001:db8::9]:80", "80 \u2192 [2001:db8::5]:20080 \u2192 [2001:db8::9]:80"),
        (443, "10.0.0.7:20443", None, "443 \u2192 10.0.0.7:20443"),
    ]
    assert mappings[0]["internal_ip"] is None and mappings[0]["protocol"] == "tcp"


def test_lists_use_the_list_objects(user_api, fleet):
    assert all(set(s) == SERVER for s in page(user_api.get("/servers")))
    (container,) = page(user_api.get("/containers"))
    assert set(container) == CONTAINER  # no services in the list
    assert all(set(s) == SERVICE for s in page(user_api.get("/services")))
    assert all(set(g) == GPU_KEYS for g in page(user_api.get("/gpus")))
    assert set(data(user_api.get(f"/services/{fleet['service'].pk}"))) == SERVICE
    assert set(data(user_api.get(f"/gpus/{fleet['gpu'].pk}"))) == GPU_KEYS


def test_gpu_assignment_history_items(user_api, fleet):
    (item,) = page(user_api.get(f"/gpus/{fleet['gpu'].pk}/assignments"))
    assert set(item) == ASSIGNMENT
    assert item["user_name"] == "Bob" and item["released_at"] is None and item["release_reason"] is None
    assert_datetimes(item, "assigned_at", "expires_at", "released_at")


def test_datacenters_with_and_without_stats_and_detail(user_api, fleet):
    (plain,) = data(user_api.get("/datacenters"))
    assert set(plain) == DATACENTER
    (stats,) = data(user_api.get("/datacenters", {"include_stats": "true"}))
    assert set(stats) == DATACENTER | {"server_count"} and stats["server_count"] == 1
    assert set(data(user_api.get(f"/datacenters/{fleet['dc'].pk}"))) == DATACENTER | {"server_count"}


def test_overview_entry(user_api, fleet):
    (entry,) = data(user_api.get("/datacenters/overview"))
    assert set(entry) == OVERVIEW
    assert entry["env_stats"] == {str(fleet["env"].pk): 1} and entry["status_stats"] == {"online": 1}
    assert (entry["container_count"], entry["service_count"], entry["gpu_server_count"]) == (1, 1, 1)


def test_environments(user_api, fleet):
    envs = data(user_api.get("/environments"))
    assert envs and all(set(e) == ENVIRONMENT for e in envs)
    assert set(data(user_api.get(f"/environments/{fleet['env'].pk}"))) == ENVIRONMENT


def test_user_forms(admin_api, user_api, admin_user, normal_user):
    assert all(set(u) == USER_FULL for u in page(admin_api.get("/users", {"page_size": 100})))
    assert all(set(u) == USER_DIRECTORY for u in page(user_api.get("/users", {"page_size": 100})))
    options = data(user_api.get("/users/options"))
    assert options and all(set(u) == USER_DIRECTORY for u in options)
    me = data(user_api.get("/auth/me"))
    assert set(me) == USER_FULL and me["username"] == "alice"
    assert set(data(admin_api.get(f"/users/{normal_user.pk}"))) == USER_FULL


@pytest.mark.parametrize("group_by, keys", [
    ("user", {"user_id", "user_name"}),
    ("gpu", {"gpu_id", "gpu_name"}),
    ("server", {"server_id", "server_name"}),
    ("model", {"model"}),
])
def test_utilization_rows_per_grouping(user_api, fleet, group_by, keys):
    rows = data(user_api.get("/gpus/utilization", {"group_by": group_by}))
    assert rows and all(set(r) == keys | {"gpu_hours", "assignments", "gpus"} for r in rows)
    if group_by == "gpu":
        assert rows[0]["gpu_name"] == "NVIDIA A100 on web-01"


def test_tree_nodes_per_level(user_api, fleet):
    (level1,) = data(user_api.get("/servers/tree"))
    assert set(level1) == SERVER
    (level2,) = data(user_api.get("/servers/tree", {"expand_level": 2}))
    assert set(level2) == SERVER | {"hasChildren", "children"} and level2["hasChildren"] is True
    card, container, gpu = level2["children"]
    assert set(card) == RESOURCE_CARD and card["id"] == f"card_{fleet['server'].pk}"
    assert card["_type"] == "_resource_card"
    assert set(container) == CONTAINER | {"_type"} and container["_type"] == "container"
    assert set(gpu) == GPU_KEYS | {"_type"} and gpu["_type"] == "gpu"
    (level3,) = data(user_api.get("/servers/tree", {"expand_level": "3"}))
    container3 = level3["children"][1]
    assert set(container3) == CONTAINER | {"_type", "children"}
    (service,) = container3["children"]
    assert set(service) == SERVICE | {"_type"} and service["_type"] == "service"


def test_search_object_and_quick_items(user_api, fleet):
    found = data(user_api.get("/search", {"keyword": "nginx"}))
    assert set(found) == {"servers", "containers", "services", "port_mappings", "gpus", "search_type", "total"}
    assert found["search_type"] == "keyword" and found["total"] == 2
    assert set(found["containers"][0]) == CONTAINER and set(found["services"][0]) == SERVICE
    by_ip = data(user_api.get("/search", {"q": "10.0.0"}))
    assert by_ip["search_type"] == "ip" and set(by_ip["servers"][0]) == SERVER
    assert all(set(m) == PORT_MAPPING for m in data(user_api.get("/search", {"keyword": "20022"}))["port_mappings"])
    quick = data(user_api.get("/search/quick", {"keyword": "01"}))
    assert quick == [
        {"type": "server", "id": fleet["server"].pk, "name": "web-01", "description": "10.0.0.7 - DC-North"},
        {"type": "container", "id": fleet["container"].pk, "name": "nginx-01", "description": "on web-01"},
    ]


def test_audit_list_and_detail(admin_api, fleet):
    created = data(admin_api.post("/datacenters", {"name": "DC-South"}), 201)
    (entry,) = page(admin_api.get("/audit-logs", {"resource_type": "datacenter", "resource_id": created["id"]}))
    assert set(entry) == AUDIT_LIST and entry["action"] == "create" and entry["username"] == "admin"
    assert_datetimes(entry, "created_at")
    detail = data(admin_api.get(f"/audit-logs/{entry['id']}"))
    assert set(detail) == AUDIT_DETAIL and detail["snapshot"] == {}
    assert detail["changes"]["name"] == {"old": None, "new": "DC-South"}


def test_preferences(user_api):
    defaults = data(user_api.get("/user/preferences"))
    assert defaults == {"grouping_mode": "environment-first", "view_mode": "grid", "panel_width": 260,
                        "show_detail_bar": True, "updated_at": None}
    saved = data(user_api.put("/user/preferences", {"panel_width": "300.5", "view_mode": "list"}))
    assert set(saved) == PREFERENCES and saved["panel_width"] == 301 and saved["view_mode"] == "list"
    assert_datetimes(saved, "updated_at")


def test_batch_and_sort_order_answers(admin_api, fleet):
    body = admin_api.post("/servers/batch-update", {"ids": [fleet["server"].pk, 999999], "updates": {"status": "maintenance"}}).json()
    assert body["message"] == "Batch update finished: 1 of 2 succeeded."
    assert body["data"] == {"success": [fleet["server"].pk], "failed": [{"id": 999999, "reason": "Server not found."}],
                            "total": 2, "success_count": 1, "failed_count": 1}
    sort = admin_api.post("/gpus/update-sort-order", {"items": [{"id": fleet["gpu"].pk, "sort_order": 5}]}).json()
    assert sort == {"code": 0, "message": "Sort order saved.", "data": {"updated": 1}}
    assert GPU.objects.get().sort_order == 5
