"""manage.py release_expired_gpus (API.md §5, Expiry)."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GPU, GPUAssignment
from inventory.services.gpu_assignment import assign_gpu
from tests.factories import GPUFactory, UserFactory


def run_command():
    out = io.StringIO()
    call_command("release_expired_gpus", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def assigned(db, admin_user):
    """Three GPUs assigned by the admin: one expired, one expiring later, one without expiry."""
    bob = UserFactory(display_name="Bob")
    gpus = {name: GPUFactory(model=name) for name in ("expired", "later", "forever")}
    soon = timezone.now() + timedelta(seconds=30)
    assign_gpu(gpus["expired"].id, bob.id, by=admin_user, expires_at=soon)
    assign_gpu(gpus["later"].id, bob.id, by=admin_user, expires_at=timezone.now() + timedelta(days=1))
    assign_gpu(gpus["forever"].id, bob.id, by=admin_user)
    GPUAssignment.objects.filter(gpu=gpus["expired"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    return gpus


def test_releases_only_expired_assignments(assigned):
    assert run_command() == "Released 1 expired GPU assignment(s)."
    expired = GPU.objects.get(pk=assigned["expired"].id)
    assert (expired.status, expired.assigned_to_id) == ("free", None)
    record = GPUAssignment.objects.get(gpu=expired)
    assert record.released_at is not None
    assert (record.release_reason, record.released_by_id) == ("expired", None)
    for name in ("later", "forever"):
        gpu = GPU.objects.get(pk=assigned[name].id)
        assert gpu.status == "in_use" and gpu.assigned_to_id is not None
        assert GPUAssignment.objects.get(gpu=gpu).released_at is None


def test_audited_as_release_by_system(assigned):
    run_command()
    entry = AuditLog.objects.filter(resource_type="gpu", resource_id=assigned["expired"].id).order_by("id").last()
    assert (entry.action, entry.username, entry.user_id, entry.request_id) == ("release", "system", None, None)
    assert entry.changes["status"] == {"old": "in_use", "new": "free"}


def test_idempotent(assigned):
    run_command()
    entries = AuditLog.objects.count()
    assert run_command() == "Released 0 expired GPU assignment(s)."
    assert AuditLog.objects.count() == entries
    assert GPUAssignment.objects.filter(release_reason="expired").count() == 1


def test_an_expired_assignment_stays_open_until_the_command_runs(assigned, user_api):
    gpu = GPU.objects.get(pk=assigned["expired"].id)
    assert (gpu.status, gpu.is_available) == ("in_use", False)
    history = user_api.get(f"/gpus/{gpu.id}/assignments").json()["data"]
    assert [row["released_at"] for row in history] == [None]


def test_a_manually_released_gpu_is_left_alone(assigned, admin_api):
    admin_api.post(f"/gpus/{assigned['expired'].id}/release")
    assert run_command() == "Released 0 expired GPU assignment(s)."
    assert GPUAssignment.objects.get(gpu=assigned["expired"]).release_reason == "manual"
