"""POST /servers/batch-update and /servers/batch-delete (API.md §9.2)."""
import pytest

from audit.bulk import bulk_update_with_audit
from audit.models import AuditLog
from inventory.models import Server
from tests.factories import ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory

MISSING = 999999


@pytest.fixture
def servers(db):
    return ServerFactory.create_batch(3, status="online", responsible_person="Alice")


def ok(response):
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["code"] == 0
    return body


def bad(response, status=400):
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["code"] == status and body["data"] is None
    return body


def snapshot():
    return list(Server.objects.order_by("id").values_list("id", "status", "responsible_person", "datacenter_id",
                                                           "cpu_usage"))


# --- batch update ----------------------------------------------------------------------

def test_update_applies_to_existing_and_reports_missing(admin_api, servers):
    a, b, c = servers
    body = ok(admin_api.post("/servers/batch-update", {"ids": [a.id, b.id, MISSING],
                                                       "updates": {"status": "maintenance"}}))
    assert body["message"] == "Batch update finished: 2 of 3 succeeded."
    assert body["data"] == {"success": [a.id, b.id], "failed": [{"id": MISSING, "reason": "Server not found."}],
                            "total": 3, "success_count": 2, "failed_count": 1}
    assert dict(Server.objects.values_list("id", "status")) == {a.id: "maintenance", b.id: "maintenance",
                                                                c.id: "online"}


def test_update_every_allowed_field_with_client_spellings(admin_api, servers):
    dc, env = DatacenterFactory(), EnvironmentFactory(code="test")
    a = servers[0]
    updates = {"datacenter_id": str(dc.id), "environment_id": env.id, "status": " offline ", "responsible_person": "",
               "description": "  racked  ", "cpu_usage": "12.5", "memory_usage": 0, "disk_usage": 100}
    ok(admin_api.post("/servers/batch-update", {"ids": [a.id], "updates": updates}))
    a.refresh_from_db()
    assert (a.datacenter_id, a.environment_id, a.status, a.responsible_person, a.description, a.cpu_usage,
            a.memory_usage, a.disk_usage) == (dc.id, env.id, "offline", None, "racked", 12.5, 0, 100)


def test_duplicate_ids_count_once(admin_api, servers):
    a, b, _ = servers
    body = ok(admin_api.post("/servers/batch-update", {"ids": [b.id, a.id, b.id, str(a.id)],
                                                       "updates": {"status": "offline"}}))
    assert body["data"]["success"] == [b.id, a.id] and body["data"]["total"] == 2


def test_all_failed_still_answers_200(admin_api, db):
    body = ok(admin_api.post("/servers/batch-update", {"ids": [MISSING], "updates": {"status": "offline"}}))
    assert body["message"] == "Batch update finished: 0 of 1 succeeded."
    assert body["data"]["failed_count"] == 1


def test_name_clash_in_target_datacenter_fails_that_server_only(admin_api, db):
    north, south = DatacenterFactory(name="North"), DatacenterFactory(name="South")
    web = ServerFactory(name="web-01", datacenter=north)
    other = ServerFactory(name="db-01", datacenter=north)
    ServerFactory(name="WEB-01", datacenter=south)
    body = ok(admin_api.post("/servers/batch-update", {"ids": [web.id, other.id], "updates": {"datacenter_id": south.id}}))
    assert body["data"]["success"] == [other.id]
    assert body["data"]["failed"] == [{"id": web.id, "reason": "A server with this name already exists in this datacenter."}]
    assert Server.objects.get(pk=web.id).datacenter_id == north.id
    assert Server.objects.get(pk=other.id).datacenter_id == south.id


def test_name_clash_between_servers_of_the_same_batch(admin_api, db):
    north, east, south = (DatacenterFactory(name=n) for n in ("North", "East", "South"))
    first, second = ServerFactory(name="web-01", datacenter=north), ServerFactory(name="WEB-01", datacenter=east)
    body = ok(admin_api.post("/servers/batch-update", {"ids": [first.id, second.id],
                                                       "updates": {"datacenter_id": south.id}}))
    assert body["data"]["success"] == [first.id]
    assert body["data"]["failed"] == [{"id": second.id,
                                       "reason": "A server with this name already exists in this datacenter."}]


def test_update_is_audited_per_server(admin_api, servers):
    a, b, _ = servers
    ok(admin_api.post("/servers/batch-update", {"ids": [a.id, b.id], "updates": {"status": "maintenance"}}))
    entries = AuditLog.objects.filter(action="batch_update").order_by("resource_id")
    assert [(e.resource_type, e.resource_id, e.username, e.changes) for e in entries] == [
        ("server", s.id, "admin", {"status": {"old": "online", "new": "maintenance"}}) for s in (a, b)]


@pytest.mark.parametrize("body, errors", [
    ({"ids": [1], "updates": {"name": "x"}}, {"updates.name": ["This field cannot be changed in a batch."]}),
    ({"ids": [1], "updates": {"status": "broken"}}, {"updates.status": ['"broken" is not a valid choice.']}),
    ({"ids": [1], "updates": {"cpu_usage": 101}}, {"updates.cpu_usage": ["Ensure this value is less than or equal to 100."]}),
    ({"ids": [1], "updates": {"cpu_usage": ""}}, {"updates.cpu_usage": ["A valid number is required."]}),
    ({"ids": [1], "updates": {"datacenter_id": MISSING}},
     {"updates.datacenter_id": [f"Datacenter with id {MISSING} does not exist."]}),
    ({"ids": [1], "updates": {"datacenter_id": None}}, {"updates.datacenter_id": ["This field may not be null."]}),
    ({"ids": [1], "updates": {}}, {"updates": ["This dictionary may not be empty."]}),
    ({"ids": [1], "updates": ["status"]}, {"updates": ['Expected a dictionary of items but got type "list".']}),
    ({"ids": [1]}, {"updates": ["This field is required."]}),
    ({"ids": [], "updates": {"status": "offline"}}, {"ids": ["This list may not be empty."]}),
    ({"ids": "1,2", "updates": {"status": "offline"}}, {"ids": ['Expected a list of items but got type "str".']}),
    ({"ids": [1, "x"], "updates": {"status": "offline"}}, {"ids.1": ["A valid integer is required."]}),
    ({"ids": [True], "updates": {"status": "offline"}}, {"ids.0": ["A valid integer is required."]}),
    ({"ids": [2**63], "updates": {"status": "offline"}},
     {"ids.0": ["Ensure this value is less than or equal to 9223372036854775807."]}),
    ({"updates": {"status": "offline"}}, {"ids": ["This field is required."]}),
])
def test_update_validation_changes_nothing(admin_api, servers, body, errors):
    before = snapshot()
    response = bad(admin_api.post("/servers/batch-update", body))
    assert response["errors"] == errors
    assert snapshot() == before


def test_invalid_value_with_valid_ones_changes_nothing(admin_api, servers):
    before = snapshot()
    body = bad(admin_api.post("/servers/batch-update", {"ids": [servers[0].id],
                                                        "updates": {"status": "offline", "disk_usage": -1}}))
    assert list(body["errors"]) == ["updates.disk_usage"]
    assert snapshot() == before


def test_at_most_500_distinct_ids(admin_api, servers):
    many = list(range(1, 502))
    body = bad(admin_api.post("/servers/batch-update", {"ids": many, "updates": {"status": "offline"}}))
    assert body["errors"] == {"ids": ["Ensure this field has no more than 500 distinct ids."]}
    # 600 entries, 500 distinct: accepted.
    ids = [servers[0].id] * 101 + list(range(MISSING, MISSING + 499))
    body = ok(admin_api.post("/servers/batch-update", {"ids": ids, "updates": {"status": "offline"}}))
    assert (body["data"]["total"], body["data"]["success_count"]) == (500, 1)


def test_unexpected_error_rolls_back_the_whole_batch(admin_api, servers, monkeypatch):
    from inventory.services import batch

    def write_then_fail(*args, **kwargs):
        bulk_update_with_audit(*args, **kwargs)  # the rows and audit entries are written ...
        raise RuntimeError("disk on fire")  # ... and then something unexpected happens

    monkeypatch.setattr(batch, "bulk_update_with_audit", write_then_fail)
    before = snapshot()
    body = bad(admin_api.post("/servers/batch-update", {"ids": [s.id for s in servers],
                                                        "updates": {"status": "offline"}}), 500)
    assert body["message"] == "Internal server error."
    assert snapshot() == before
    assert not AuditLog.objects.filter(action="batch_update").exists()


def test_update_costs_a_fixed_number_of_queries(admin_api, django_assert_num_queries, db):
    ids = [s.id for s in ServerFactory.create_batch(2)]
    body = {"ids": ids, "updates": {"status": "offline"}}
    # authentication (1); two savepoint pairs (batch, bulk write); lock; old values; bulk
    # update; history rows; audit entries.
    with django_assert_num_queries(10):
        ok(admin_api.post("/servers/batch-update", body))
    ids += [s.id for s in ServerFactory.create_batch(20)]
    body = {"ids": ids, "updates": {"status": "maintenance"}}
    with django_assert_num_queries(10):
        assert ok(admin_api.post("/servers/batch-update", body))["data"]["success_count"] == 22


def test_body_must_be_an_object(admin_api, db):
    bad(admin_api.client.post("/api/servers/batch-update", "[1, 2]", content_type="application/json"))
    bad(admin_api.client.post("/api/servers/batch-delete", "nope", content_type="application/json"))


# --- batch delete ----------------------------------------------------------------------

def test_delete_only_servers_without_children(admin_api, db):
    empty, with_containers, with_gpu, with_both = ServerFactory.create_batch(4)
    ContainerFactory.create_batch(3, server=with_containers)
    GPUFactory(server=with_gpu)
    ContainerFactory.create_batch(2, server=with_both)
    GPUFactory(server=with_both, index=0)
    GPUFactory(server=with_both, index=1)
    ids = [empty.id, with_containers.id, with_gpu.id, with_both.id, MISSING]
    body = ok(admin_api.post("/servers/batch-delete", {"ids": ids}))
    assert body["message"] == "Batch delete finished: 1 of 5 succeeded."
    assert body["data"] == {
        "success": [empty.id],
        "failed": [
            {"id": with_containers.id, "reason": "Server has 3 containers; delete them first."},
            {"id": with_gpu.id, "reason": "Server has 1 GPU; delete it first."},
            {"id": with_both.id, "reason": "Server has 2 containers and 2 GPUs; delete them first."},
            {"id": MISSING, "reason": "Server not found."},
        ],
        "total": 5, "success_count": 1, "failed_count": 4,
    }
    assert set(Server.objects.values_list("id", flat=True)) == {with_containers.id, with_gpu.id, with_both.id}


def test_delete_one_container_reason(admin_api, db):
    server = ServerFactory()
    ContainerFactory(server=server)
    body = ok(admin_api.post("/servers/batch-delete", {"ids": [server.id]}))
    assert body["data"]["failed"] == [{"id": server.id, "reason": "Server has 1 container; delete it first."}]


def test_delete_is_audited_with_snapshot(admin_api, servers):
    a = servers[0]
    ok(admin_api.post("/servers/batch-delete", {"ids": [a.id]}))
    entry = AuditLog.objects.get(action="batch_delete")
    assert (entry.resource_type, entry.resource_id, entry.resource_name, entry.username) == (
        "server", a.id, a.name, "admin")
    assert entry.snapshot["name"] == a.name and entry.snapshot["containers"] == []


@pytest.mark.parametrize("body, field", [
    ({}, "ids"), ({"ids": []}, "ids"), ({"ids": ["a"]}, "ids.0"), ({"ids": list(range(1, 502))}, "ids"),
])
def test_delete_validation(admin_api, servers, body, field):
    assert list(bad(admin_api.post("/servers/batch-delete", body))["errors"]) == [field]
    assert Server.objects.count() == 3


@pytest.mark.parametrize("path", ["/servers/batch-update", "/servers/batch-delete"])
def test_admin_only(user_api, anon_api, admin_api, servers, path):
    body = {"ids": [servers[0].id], "updates": {"status": "offline"}}
    bad(user_api.post(path, body), 403)
    bad(anon_api.post(path, body), 401)
    response = admin_api.get(path)
    bad(response, 405)
    assert response["Allow"] == "POST, OPTIONS"
    assert Server.objects.filter(status="online").count() == 3
