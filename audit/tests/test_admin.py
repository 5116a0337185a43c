"""The audit log in the Django admin, and admin writes (history revert) being audited."""
import pytest
from django.test import Client

from audit.models import AuditLog
from inventory.models import Server
from tests.factories import ServerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client(HTTP_USER_AGENT="admin-browser/1.0")
    client.force_login(admin_user)
    return client


def test_changelist_filters_and_searches(admin_client):
    AuditLog.objects.create(username="alice", action="delete", resource_type="gpu", resource_id=3,
                            resource_name="NVIDIA A100 on gpu-01", request_id="find-me")
    assert admin_client.get("/admin/audit/auditlog/").status_code == 200
    for query in ("q=gpu-01", "q=find-me", "action__exact=delete", "resource_type__exact=gpu"):
        response = admin_client.get(f"/admin/audit/auditlog/?{query}")
        assert response.status_code == 200
        assert [e.request_id for e in response.context["cl"].result_list] == ["find-me"]


def test_detail_is_read_only_with_pretty_json(admin_client):
    entry = AuditLog.objects.create(username="alice", action="update", resource_type="server", resource_id=1,
                                    changes={"name": {"old": "a", "new": "b"}})
    response = admin_client.get(f"/admin/audit/auditlog/{entry.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "&quot;name&quot;: {\n    &quot;old&quot;: &quot;a&quot;" in content
    assert 'name="_save"' not in content


def test_nobody_can_add_change_or_delete(admin_client, admin_user):
    assert admin_user.is_superuser
    entry = AuditLog.objects.create(username="alice", action="update", resource_type="server", resource_id=1)
    assert admin_client.get("/admin/audit/auditlog/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditlog/{entry.pk}/change/", {"username": "mallory"}).status_code == 403
    assert admin_client.post(f"/admin/audit/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post("/admin/audit/auditlog/", {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert AuditLog.objects.filter(pk=entry.pk, username="alice").exists()
    assert response.status_code in (200, 302)


def test_history_revert_is_audited_as_an_update(admin_client, admin_user):
    server = ServerFactory(name="web-01", cpu_usage=10)
    first_record = server.history.earliest()
    server.name = "web-renamed"
    server.save()
    AuditLog.objects.all().delete()

    url = f"/admin/inventory/server/{server.pk}/history/{first_record.history_id}/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    response = admin_client.post(url, data, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 302, response.content[:2000]

    assert Server.objects.get(pk=server.pk).name == "web-01"
    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.user_id, entry.ip_address) == (
        "update", "server", server.pk, admin_user.pk, "198.51.100.4")
    assert entry.changes == {"name": {"old": "web-renamed", "new": "web-01"}}
    assert entry.user_agent == "admin-browser/1.0" and entry.request_id
