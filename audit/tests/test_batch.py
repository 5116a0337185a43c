"""Server batch operations write one batch_* entry per server sharing the request id (§9.2);
sort-order changes write updates (§9.3)."""
import pytest

from audit.models import AuditLog
from tests.factories import ContainerFactory, ServerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers(admin_user):
    servers = ServerFactory.create_batch(3, status="online")
    ContainerFactory(server=servers[2])
    AuditLog.objects.all().delete()
    return servers


def test_batch_update(admin_api, admin_user, servers):
    servers[1].status = "maintenance"
    servers[1].save()
    AuditLog.objects.all().delete()
    ids = [s.pk for s in servers] + [999999]
    response = admin_api.post("/servers/batch-update", {"ids": ids, "updates": {"status": "maintenance"}},
                              HTTP_X_REQUEST_ID="batch-1")
    assert response.status_code == 200, response.json()
    entries = list(AuditLog.objects.order_by("resource_id"))
    # servers[1] was already in maintenance: no change, no entry; the unknown id wrote nothing
    assert [(e.resource_id, e.action, e.changes, e.request_id, e.user_id) for e in entries] == [
        (s.pk, "batch_update", {"status": {"old": "online", "new": "maintenance"}}, "batch-1", admin_user.pk)
        for s in (servers[0], servers[2])
    ]


def test_batch_delete(admin_api, servers):
    shown = admin_api.get(f"/servers/{servers[0].pk}").json()["data"]
    response = admin_api.post("/servers/batch-delete", {"ids": [s.pk for s in servers]}, HTTP_X_REQUEST_ID="batch-2")
    assert response.status_code == 200, response.json()
    entries = list(AuditLog.objects.order_by("resource_id"))
    # servers[2] still has a container: not deleted, no entry
    assert [(e.resource_id, e.action, e.request_id) for e in entries] == [
        (servers[0].pk, "batch_delete", "batch-2"), (servers[1].pk, "batch_delete", "batch-2")]
    assert entries[0].snapshot == shown


def test_sort_order_changes_are_updates(admin_api, admin_user, servers):
    from tests.factories import GPUFactory

    gpus = [GPUFactory(server=servers[0], index=i, sort_order=i) for i in range(2)]
    AuditLog.objects.all().delete()
    items = [{"id": gpus[0].pk, "sort_order": 5}, {"id": gpus[1].pk, "sort_order": 1}]
    response = admin_api.post("/gpus/update-sort-order", {"items": items}, HTTP_X_REQUEST_ID="drag-1")
    assert response.status_code == 200, response.json()
    [entry] = AuditLog.objects.all()  # gpus[1] kept its place
    assert (entry.action, entry.resource_type, entry.resource_id, entry.request_id, entry.user_id, entry.changes) == (
        "update", "gpu", gpus[0].pk, "drag-1", admin_user.pk, {"sort_order": {"old": 0, "new": 5}})
