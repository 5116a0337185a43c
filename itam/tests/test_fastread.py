"""The compiled read path (itam.api.compiled) answers byte for byte what DRF's own list and
retrieve would: the same request is sent twice, once with the fast path switched off."""
import pytest

from audit.models import AuditLog
from inventory.models import GPU, Container, Datacenter, Environment, Server, Service
from inventory.tests.test_api_tree import fleet, grow  # noqa: F401 - a fixture, and more rows of every kind


def both_ways(api, path, monkeypatch, **params):
    fast = api.get(path, params)
    with monkeypatch.context() as patched:
        patched.setattr("django.conf.settings.COMPILED_READS", False, raising=False)
        drf = api.get(path, params)
    assert fast.status_code == drf.status_code
    assert fast.content == drf.content
    return fast


LISTS = [
    ("/servers", {}), ("/servers", {"page_size": 3, "page": 2, "ordering": "-cpu_usage"}),
    ("/servers", {"keyword": "web"}), ("/servers", {"page": 99}),
    ("/containers", {"page_size": 100}), ("/containers", {"ordering": "name"}),
    ("/services", {"page_size": 100}), ("/gpus", {"page_size": 100}), ("/gpus", {"status": "in_use"}),
    ("/environments", {}), ("/users", {}), ("/audit-logs", {"page_size": 100}),
]


@pytest.mark.parametrize("path, params", LISTS)
def test_lists_equal_drf(admin_api, fleet, monkeypatch, path, params):
    grow(2)
    body = both_ways(admin_api, path, monkeypatch, **params).json()
    assert body["code"] == 0
    if params.get("page") != 99:
        assert body["data"], "compare something"


def test_user_directory_equals_drf(user_api, fleet, monkeypatch):
    body = both_ways(user_api, "/users", monkeypatch).json()
    assert set(body["data"][0]) == {"id", "username", "display_name"}


@pytest.mark.parametrize("model", [Server, Container, Service, GPU, Datacenter, Environment, AuditLog])
def test_details_equal_drf(admin_api, fleet, monkeypatch, model):
    grow(1)
    path = {Server: "servers", Container: "containers", Service: "services", GPU: "gpus",
            Datacenter: "datacenters", Environment: "environments", AuditLog: "audit-logs"}[model]
    for pk in model.objects.order_by("id").values_list("id", flat=True)[:5]:
        assert both_ways(admin_api, f"/{path}/{pk}", monkeypatch).json()["data"]["id"] == pk


def test_held_gpu_and_server_with_children_show_their_relations(user_api, fleet, monkeypatch):
    server = both_ways(user_api, f"/servers/{fleet['web'].pk}", monkeypatch).json()["data"]
    assert [c["name"] for c in server["containers"]] == ["nginx", "api"]
    assert [s["name"] for s in server["containers"][0]["services"]] == ["nginx-80", "nginx-443"]
    assert server["containers"][0]["port_mappings"][0]["mapping_chain"] == "22 → 10.0.0.7:20022"
    held = both_ways(user_api, f"/gpus/{fleet['held'].pk}", monkeypatch).json()["data"]
    assert (held["purpose"], held["is_available"]) == ("LLM", False)


@pytest.mark.parametrize("path", ["/servers/0", "/gpus/999999", "/audit-logs/123456789"])
def test_missing_objects_are_the_same_404(admin_api, db, monkeypatch, path):
    body = both_ways(admin_api, path, monkeypatch).json()
    assert body["code"] == 404


def test_audit_logs_stay_admin_only(user_api, fleet):
    assert user_api.get("/audit-logs").status_code == 403
    assert user_api.get(f"/audit-logs/{AuditLog.objects.first().pk}").status_code == 403


# 1 query authenticates (the user and the token blacklist); a page adds its count and its rows, then
# one query per prefetched relation (port mappings, open GPU assignments, ...).
@pytest.mark.parametrize("path, queries", [
    ("/servers", 3), ("/containers", 4), ("/services", 3), ("/gpus", 4), ("/audit-logs", 3), ("/users", 3),
    ("/servers/{web}", 7), ("/containers/{first}", 4),
])
def test_query_count_does_not_grow_with_rows(admin_api, fleet, django_assert_num_queries, path, queries):
    path = path.format(web=fleet["web"].pk, first=fleet["first"].pk)
    with django_assert_num_queries(queries):
        assert admin_api.get(path, {"page_size": 100}).status_code == 200
    grow(4)
    with django_assert_num_queries(queries):
        assert admin_api.get(path, {"page_size": 100}).status_code == 200
