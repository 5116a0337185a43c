"""inventory.services.gpu_assignment called directly, without HTTP: the domain exceptions it
raises and the rows it writes, for single GPUs and for the bulk variants import and seeding use."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory.models import GPU, GPUAssignment
from inventory.services import gpu_assignment as service
from itam.errors import Conflict, Invalid, NotFound
from tests.factories import GPUFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gpu():
    return GPUFactory()


@pytest.fixture
def bob():
    return UserFactory(username="bob", display_name="Bob")


def open_rows():
    return list(GPUAssignment.objects.filter(released_at__isnull=True).values_list("gpu_id", "user_id"))


def test_assign_opens_one_assignment_and_holds_the_gpu(gpu, bob, admin_user):
    expires = timezone.now() + timedelta(days=1)
    service.assign_gpu(gpu.pk, bob.pk, by=admin_user, purpose="training", expires_at=expires)
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id) == ("in_use", bob.pk)
    record = GPUAssignment.objects.get()
    assert (record.user_name, record.assigned_by, record.assigned_by_name, record.purpose, record.expires_at) == (
        "Bob", admin_user, admin_user.display_name, "training", expires)
    connection.check_constraints()


@pytest.mark.parametrize(("call", "error", "message", "field"), [
    (lambda g, u: service.assign_gpu(0, u.pk, by=None), NotFound, "GPU not found.", None),
    (lambda g, u: service.assign_gpu("x", u.pk, by=None), NotFound, "GPU not found.", None),
    (lambda g, u: service.assign_gpu(g.pk, 0, by=None), NotFound, "User not found.", None),
    (lambda g, u: service.assign_gpu(g.pk, u.pk, by=None, expires_at=timezone.now()), Invalid,
     "Expiry must lie in the future.", "expires_at"),
    (lambda g, u: service.release_gpu(g.pk), Conflict, "GPU is already free.", None),
    (lambda g, u: service.release_gpu(0), NotFound, "GPU not found.", None),
])
def test_refusals_are_domain_exceptions_and_write_nothing(gpu, bob, call, error, message, field):
    with pytest.raises(error) as raised:
        call(gpu, bob)
    assert (raised.value.message, raised.value.field) == (message, field)
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id, GPUAssignment.objects.count()) == ("free", None, 0)


def test_an_inactive_user_or_a_taken_gpu_is_a_conflict(gpu, bob):
    inactive = UserFactory(is_active=False)
    with pytest.raises(Conflict, match="User is inactive"):
        service.assign_gpu(gpu.pk, inactive.pk, by=None)
    service.assign_gpu(gpu.pk, bob.pk, by=None)
    with pytest.raises(Conflict, match="GPU is not available; release it first."):
        service.assign_gpu(gpu.pk, UserFactory().pk, by=None)
    assert open_rows() == [(gpu.pk, bob.pk)]


def test_release_closes_the_assignment_with_its_reason(gpu, bob, admin_user):
    service.assign_gpu(gpu.pk, bob.pk, by=None)
    service.release_gpu(gpu.pk, by=admin_user, reason="done")
    gpu.refresh_from_db()
    record = GPUAssignment.objects.get()
    assert (gpu.status, gpu.assigned_to_id, record.released_by, record.release_reason) == ("free", None, admin_user, "done")
    assert record.released_at is not None and open_rows() == []


def test_release_expired_releases_only_expired_ones(bob):
    server = ServerFactory()
    expired, running = GPUFactory(server=server, index=0), GPUFactory(server=server, index=1)
    service.assign_gpu(expired.pk, bob.pk, by=None, expires_at=timezone.now() + timedelta(minutes=1))
    service.assign_gpu(running.pk, bob.pk, by=None, expires_at=timezone.now() + timedelta(days=1))
    later = timezone.now() + timedelta(hours=1)
    assert service.release_expired_gpus(now=later) == [expired.pk]
    assert service.release_expired_gpus(now=later) == []  # idempotent
    assert open_rows() == [(running.pk, bob.pk)]
    assert GPUAssignment.objects.get(gpu=expired).release_reason == "expired"
    connection.check_constraints()


@pytest.mark.parametrize(("holder", "requested", "current", "expected"), [
    (None, None, None, "free"),
    (None, None, "error", "error"),
    (None, "in_use", None, "in_use"),  # in use outside ITAM
    (7, None, None, "in_use"),
    (7, "in_use", "free", "in_use"),
])
def test_status_rule(holder, requested, current, expected):
    assert service.status_for(holder, requested, current) == expected


@pytest.mark.parametrize("requested", ["free", "error"])
def test_a_held_gpu_must_be_in_use(requested):
    with pytest.raises(Invalid) as raised:
        service.status_for(7, requested)
    assert (raised.value.field, raised.value.message) == ("status", "A GPU assigned to a user must have status in_use.")


def test_a_held_gpus_status_changes_only_by_release(gpu, bob):
    service.assign_gpu(gpu.pk, bob.pk, by=None)
    gpu.refresh_from_db()
    service.check_status_change(gpu, "in_use")  # unchanged: fine
    with pytest.raises(Conflict, match="release the GPU first"):
        service.check_status_change(gpu, "error")


def test_bulk_holder_changes_close_and_open_in_step(bob, admin_user):
    """What the importer does: new GPUs with holders (ids reserved before the insert) and an
    existing GPU changing hands, in one transaction."""
    server = ServerFactory()
    existing = GPUFactory(server=server, index=0)
    service.assign_gpu(existing.pk, bob.pk, by=None)
    existing.refresh_from_db()
    carol = UserFactory()
    new = [GPU(server=server, model="L4", memory_gb=24, index=i) for i in (1, 2)]
    new[0].assigned_to, new[0].status = carol, "in_use"
    existing.assigned_to = carol
    changes = [(existing, carol), (new[0], carol)]
    now = timezone.now()
    from django.db import transaction

    from audit.bulk import bulk_create_with_audit, bulk_update_with_audit
    with transaction.atomic():
        service.prepare_holders([*new, existing])
        assert [g.pk is not None for g in new] == [True, True] and new[1].pk == new[0].pk + 1
        bulk_create_with_audit(GPU, new)
        bulk_update_with_audit(GPU, [existing], ["assigned_to", "holding"])
        service.write_holder_changes(changes, by=admin_user, at=now)
        connection.check_constraints()
    assert sorted(open_rows()) == sorted([(existing.pk, carol.pk), (new[0].pk, carol.pk)])
    closed = GPUAssignment.objects.get(user=bob)
    assert (closed.released_by, closed.release_reason, closed.released_at) == (admin_user, "import", now)
    assert GPU.objects.get(pk=new[1].pk).assigned_to_id is None
