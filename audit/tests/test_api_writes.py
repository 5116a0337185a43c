"""Writes through the API are audited with who, from where and what (API.md §6.3)."""
import pytest
from django.test import override_settings

from audit.models import AuditLog
from tests.factories import ContainerFactory, DatacenterFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db

CLIENT = {"HTTP_USER_AGENT": "itam-web/2.1", "HTTP_X_REQUEST_ID": "req-42", "REMOTE_ADDR": "192.0.2.10"}


@pytest.fixture
def world(admin_user, normal_user):
    server = ServerFactory(name="web-01", internal_ip="10.0.0.7")
    container = ContainerFactory(server=server, name="app", owner=normal_user)
    AuditLog.objects.all().delete()
    return {"dc": server.datacenter_id, "env": server.environment_id, "server": server.pk,
            "container": container.pk}


def created(w):
    """Per resource: path, create body, the id of what it needs."""
    return {
        "datacenters": {"name": "DC-X", "location": "Hall 1"},
        "environments": {"name": "QA", "code": "qa", "color": "#123456", "sort_order": 5},
        "servers": {"name": "db-01", "datacenter_id": w["dc"], "environment_id": w["env"], "internal_ip": "10.0.0.8"},
        "containers": {"name": "nginx-01", "server_id": w["server"],
                       "port_mappings": [{"container_port": 22, "internal_port": 20022}]},
        "services": {"name": "api", "container_id": w["container"], "port": 80},
        "gpus": {"server_id": w["server"], "model": "L4", "memory_gb": 24, "index": 3},
        "users": {"username": "carol", "password": "Tr1cky-Passw0rd!", "display_name": "Carol"},
    }


UPDATES = {
    "datacenters": ({"location": "Hall 2", "name": "DC-X"}, {"location": {"old": "Hall 1", "new": "Hall 2"}}),
    "environments": ({"color": "#654321"}, {"color": {"old": "#123456", "new": "#654321"}}),
    "servers": ({"status": "maintenance", "name": "db-01"}, {"status": {"old": "online", "new": "maintenance"}}),
    "containers": ({"port_mappings": []}, {"port_mappings": {"old": ["22 → 10.0.0.7:20022"], "new": []}}),
    "services": ({"port": "8080"}, {"port": {"old": 80, "new": 8080}}),
    "gpus": ({"gpu_usage": 50}, {"gpu_usage": {"old": 0.0, "new": 50.0}}),
    "users": ({"display_name": "Caroline", "password": ""}, {"display_name": {"old": "Carol", "new": "Caroline"}}),
}
TYPES = {"datacenters": "datacenter", "environments": "environment", "servers": "server", "containers": "container",
         "services": "service", "gpus": "gpu", "users": "user"}
NAMES = {"datacenters": "DC-X", "environments": "QA", "servers": "db-01", "containers": "nginx-01",
         "services": "api", "gpus": "L4 on web-01", "users": "carol"}


def only_entry():
    entries = list(AuditLog.objects.all())
    assert len(entries) == 1, [(e.action, e.resource_type, e.changes) for e in entries]
    return entries[0]


@pytest.mark.parametrize("resource", list(TYPES))
def test_create_update_noop_delete(admin_api, admin_user, world, resource):
    body = created(world)[resource]
    response = admin_api.post(f"/{resource}", body, **CLIENT)
    assert response.status_code == 201, response.json()
    pk = response.json()["data"]["id"]

    entry = only_entry()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.resource_name) == (
        "create", TYPES[resource], pk, NAMES[resource])
    assert (entry.user_id, entry.username, entry.ip_address, entry.user_agent, entry.request_id) == (
        admin_user.pk, "admin", "192.0.2.10", "itam-web/2.1", "req-42")
    assert all(change["old"] is None for change in entry.changes.values())
    for field, value in body.items():
        if field != "port_mappings":
            assert entry.changes[field]["new"] == ("***" if field == "password" else value)
    AuditLog.objects.all().delete()

    change, expected = UPDATES[resource]
    assert admin_api.put(f"/{resource}/{pk}", change, **CLIENT).status_code == 200
    entry = only_entry()
    assert (entry.action, entry.changes) == ("update", expected)
    AuditLog.objects.all().delete()

    assert admin_api.put(f"/{resource}/{pk}", change).status_code == 200  # the same again changes nothing
    assert not AuditLog.objects.exists()

    shown = admin_api.get(f"/{resource}/{pk}").json()["data"]
    assert admin_api.delete(f"/{resource}/{pk}", **CLIENT).status_code == 200
    entry = only_entry()
    assert (entry.action, entry.resource_id, entry.changes, entry.request_id) == ("delete", pk, {}, "req-42")
    assert entry.snapshot == shown


def test_container_create_records_its_mappings(admin_api, world):
    admin_api.post("/containers", created(world)["containers"])
    entry = only_entry()
    assert entry.changes["port_mappings"] == {"old": None, "new": ["22 → 10.0.0.7:20022"]}
    assert entry.changes["server_id"] == {"old": None, "new": world["server"]}


def test_server_delete_snapshot_holds_the_whole_tree(admin_api, world):
    admin_api.post("/services", {"name": "api", "container_id": world["container"]})
    admin_api.post("/gpus", {"server_id": world["server"], "model": "L4", "memory_gb": 24})
    shown = admin_api.get(f"/servers/{world['server']}").json()["data"]
    AuditLog.objects.all().delete()

    assert admin_api.delete(f"/servers/{world['server']}").status_code == 200
    entry = only_entry()
    assert (entry.resource_type, entry.resource_name) == ("server", "web-01")
    assert entry.snapshot == shown
    assert entry.snapshot["containers"][0]["services"][0]["name"] == "api"
    assert entry.snapshot["gpus"][0]["model"] == "L4"


def test_owner_writes_are_attributed_to_the_owner(user_api, normal_user, world):
    assert user_api.put(f"/containers/{world['container']}", {"purpose": "testing"}).status_code == 200
    entry = only_entry()
    assert (entry.user_id, entry.username, entry.changes) == (
        normal_user.pk, "alice", {"purpose": {"old": None, "new": "testing"}})


def test_failed_write_leaves_no_entry(admin_api, world):
    response = admin_api.post("/servers", {"name": "bad", "datacenter_id": world["dc"], "environment_id": world["env"],
                                           "internal_ip": "999.1.1.1"})
    assert response.status_code == 400
    DatacenterFactory(name="Taken")
    AuditLog.objects.all().delete()
    assert admin_api.post("/datacenters", {"name": "taken"}).status_code == 422
    assert not AuditLog.objects.exists()


def test_rejected_delete_leaves_no_entry(admin_api, world):
    assert admin_api.delete(f"/datacenters/{world['dc']}").status_code == 422
    assert not AuditLog.objects.exists()


def test_request_id_is_generated_and_echoed_when_absent_or_invalid(admin_api, world):
    response = admin_api.post("/datacenters", {"name": "DC-Y"}, HTTP_X_REQUEST_ID="bad id with spaces")
    entry = only_entry()
    assert entry.request_id == response["X-Request-ID"] != "bad id with spaces"
    assert len(entry.request_id) == 36


def test_user_agent_is_truncated(admin_api, world):
    admin_api.post("/datacenters", {"name": "DC-Y"}, HTTP_USER_AGENT="x" * 300)
    assert only_entry().user_agent == "x" * 256


def test_forwarded_for_is_ignored_from_untrusted_peers(admin_api, world):
    admin_api.post("/datacenters", {"name": "DC-Y"}, REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert only_entry().ip_address == "192.0.2.10"


@override_settings(TRUSTED_PROXIES=["10.10.0.0/16"])
def test_forwarded_for_is_honoured_from_trusted_proxies(admin_api, world):
    admin_api.post("/datacenters", {"name": "DC-Y"}, REMOTE_ADDR="10.10.0.5",
                   HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.66, 10.10.0.9")
    assert only_entry().ip_address == "203.0.113.66"


def test_password_change_is_an_update_with_the_password_masked(api_as, world):
    user = UserFactory(username="erin")
    AuditLog.objects.all().delete()
    response = api_as(user).post("/auth/change-password", {"old_password": "Secret-pass-123",
                                                            "new_password": "Fresh-Passw0rd-77"})
    assert response.status_code == 200, response.json()
    entry = only_entry()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.username) == ("update", "user", user.pk, "erin")
    assert entry.changes == {"password": {"old": "***", "new": "***"}}


def test_login_is_not_audited(anon_api, world):
    UserFactory(username="frank")
    AuditLog.objects.all().delete()
    assert anon_api.post("/auth/login", {"username": "frank", "password": "Secret-pass-123"}).status_code == 200
    assert not AuditLog.objects.exists()


def test_deleting_a_user_via_the_api_keeps_their_entries(admin_api, api_as, world):
    user = UserFactory(username="gina")
    AuditLog.objects.all().delete()
    api_as(user).post("/containers", {"name": "gina-box", "server_id": world["server"]})
    box = only_entry()
    admin_api.delete(f"/containers/{box.resource_id}")
    assert admin_api.delete(f"/users/{user.pk}").status_code == 200
    box.refresh_from_db()
    assert (box.user_id, box.username) == (None, "gina")
    assert AuditLog.objects.get(action="delete", resource_type="user").snapshot["username"] == "gina"


