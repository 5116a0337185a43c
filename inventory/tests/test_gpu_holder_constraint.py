"""The database keeps a GPU's holder and its open assignment in step (inventory.models,
HOLDING_KEY_BASE), on SQLite and PostgreSQL alike, whatever writes the rows. The foreign keys
are deferred, so the checks run at commit: ``check_constraints`` runs them now."""
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.models import GPU, GPUAssignment
from inventory.services import gpu_assignment
from tests.factories import GPUAssignmentFactory, GPUFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY = 2 ** 32


def refused(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()
        connection.check_constraints()


@pytest.fixture
def held():
    """A GPU held by a user through the service, as every path makes it."""
    gpu, user = GPUFactory(), UserFactory()
    gpu_assignment.assign_gpu(gpu.pk, user.pk, by=None)
    return GPU.objects.get(pk=gpu.pk), user


def test_a_held_gpu_written_by_the_service_is_accepted(held):
    gpu, user = held
    connection.check_constraints()  # raises if the rows disagree
    assignment = GPUAssignment.objects.get(gpu=gpu, released_at__isnull=True)
    assert (gpu.status, gpu.assigned_to_id, assignment.user_id) == ("in_use", user.pk, user.pk)
    assert gpu.holding_id == assignment.open_key == assignment.gpu_holding_id == gpu.pk * KEY + user.pk


def test_a_free_gpu_with_an_open_assignment_is_refused(held):
    """The state the admin revert used to leave behind."""
    gpu, _ = held
    refused(lambda: GPU.objects.filter(pk=gpu.pk).update(status="free", assigned_to=None, holding=None))


def test_an_open_assignment_on_a_free_gpu_is_refused():
    gpu, user = GPUFactory(), UserFactory()
    key = gpu.pk * KEY + user.pk
    refused(lambda: GPUAssignment.objects.create(
        gpu=gpu, user=user, user_name="x", assigned_by_name="x", assigned_at=timezone.now(),
        open_key=key, gpu_holding_id=key))


def test_a_holder_without_an_open_assignment_is_refused(held):
    gpu, _ = held
    refused(lambda: GPUAssignment.objects.filter(gpu=gpu).update(
        released_at=timezone.now(), open_key=None, gpu_holding=None))


def test_a_holder_other_than_the_open_assignment_user_is_refused(held):
    gpu, _ = held
    other = UserFactory()
    refused(lambda: GPU.objects.filter(pk=gpu.pk).update(assigned_to=other, holding_id=gpu.pk * KEY + other.pk))


def test_a_gpu_cannot_point_at_another_gpus_open_assignment(held):
    gpu, user = held
    other_gpu = GPUFactory(server=gpu.server, index=(gpu.index + 1) % 16)
    # The other GPU claims the first GPU's key: the key names the first GPU's id, not its own.
    refused(lambda: GPU.objects.filter(pk=other_gpu.pk).update(
        status="in_use", assigned_to=user, holding_id=gpu.pk * KEY + user.pk))


def test_releasing_keeps_the_rows_in_step(held):
    gpu, _ = held
    gpu_assignment.release_gpu(gpu.pk)
    connection.check_constraints()
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id, gpu.holding_id) == ("free", None, None)
    assert not GPUAssignment.objects.filter(released_at__isnull=True).exists()
    assert GPUAssignment.objects.get().open_key is None


def test_the_factory_hold_is_in_step():
    GPUAssignmentFactory(gpu=GPUFactory(), user=UserFactory())
    connection.check_constraints()
