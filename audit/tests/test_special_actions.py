"""Assign, release, import and management commands write their own actions (API.md §6.3)."""
import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditLog
from tests.factories import GPUAssignmentFactory, GPUFactory, ServerFactory

pytestmark = pytest.mark.django_db

GPU_CHANGE = {"assigned_to", "status"}


@pytest.fixture
def gpu(admin_user, normal_user):
    gpu = GPUFactory(model="A100", server=ServerFactory(name="gpu-01"))
    AuditLog.objects.all().delete()
    return gpu


def test_assign_and_release_through_the_api(admin_api, admin_user, normal_user, gpu):
    response = admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": normal_user.pk}, HTTP_X_REQUEST_ID="assign-1")
    assert response.status_code == 200, response.json()
    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.resource_name, entry.user_id,
            entry.request_id) == ("assign", "gpu", gpu.pk, "A100 on gpu-01", admin_user.pk, "assign-1")
    assert entry.changes == {"assigned_to": {"old": None, "new": normal_user.pk},
                             "status": {"old": "free", "new": "in_use"}}

    AuditLog.objects.all().delete()
    assert admin_api.post(f"/gpus/{gpu.pk}/release").status_code == 200
    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.changes) == ("release", {"assigned_to": {"old": normal_user.pk, "new": None},
                                                         "status": {"old": "in_use", "new": "free"}})


def test_rejected_assign_writes_nothing(admin_api, other_user, normal_user, gpu):
    admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": normal_user.pk})
    AuditLog.objects.all().delete()
    assert admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": other_user.pk}).status_code == 422
    assert not AuditLog.objects.exists()


def test_expiry_command_is_recorded_as_system(normal_user, gpu):
    GPUAssignmentFactory(gpu=gpu, user=normal_user, expires_at=timezone.now() - datetime.timedelta(minutes=1),
                         assigned_at=timezone.now() - datetime.timedelta(hours=1))
    AuditLog.objects.all().delete()

    call_command("release_expired_gpus", stdout=io.StringIO())

    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.resource_id, entry.user_id, entry.username, entry.ip_address, entry.request_id) == (
        "release", gpu.pk, None, "system", None, None)
    assert set(entry.changes) == GPU_CHANGE


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Datacenters"
    sheet.append(["Name*", "Location"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "import.xlsx"
    return out


def test_import_writes_one_import_entry_per_row_sharing_the_request_id(admin_api, admin_user):
    AuditLog.objects.all().delete()
    response = admin_api.client.post(
        "/api/import-export/import", {"file": workbook([["DC-A", "Hall 1"], ["DC-B", None]])},
        format="multipart", HTTP_X_REQUEST_ID="import-9", REMOTE_ADDR="192.0.2.77",
    )
    assert response.status_code == 200, response.json()
    entries = list(AuditLog.objects.order_by("resource_name"))
    assert [(e.action, e.resource_type, e.resource_name, e.request_id, e.user_id, e.ip_address) for e in entries] == [
        ("import", "datacenter", "DC-A", "import-9", admin_user.pk, "192.0.2.77"),
        ("import", "datacenter", "DC-B", "import-9", admin_user.pk, "192.0.2.77"),
    ]
    assert entries[0].changes["location"] == {"old": None, "new": "Hall 1"}

    AuditLog.objects.all().delete()
    response = admin_api.client.post(
        "/api/import-export/import", {"file": workbook([["DC-A", "Hall 9"], ["DC-B", None]]), "overwrite": "true"},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    [entry] = AuditLog.objects.all()  # DC-B is unchanged: no entry
    assert (entry.action, entry.resource_name, entry.changes) == (
        "import", "DC-A", {"location": {"old": "Hall 1", "new": "Hall 9"}})


def test_init_db_writes_system_entries():
    call_command("init_db", stdout=io.StringIO())
    entries = list(AuditLog.objects.order_by("id"))
    assert sorted((e.resource_type, e.resource_name) for e in entries) == [
        ("environment", "Development"), ("environment", "Production"), ("environment", "Staging"),
        ("environment", "Test"), ("user", "admin"),
    ]
    assert {(e.action, e.user_id, e.username, e.ip_address, e.request_id) for e in entries} == {
        ("create", None, "system", None, None)}
    assert entries[-1].changes["password"] == {"old": None, "new": "***"}
