"""The reservation jobs (API.md §11.2, §11.4) run by the configured backend's real worker, and
the changes other writes cause. CI runs this on SQLite with the database backend and on
PostgreSQL with RQ on Redis."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.services import update_user
from audit.context import ChangeContext, use_context
from audit.models import AuditLog
from inventory.models import GPU, GPUAssignment, GpuReservation, ReminderSent
from inventory.services import crud, reservation_jobs
from inventory.services.gpu_assignment import release_expired_gpus
from inventory.services.utilization import gpu_utilization
from inventory.tasks import run_reservations, send_expiry_reminders
from tests.factories import GPUAssignmentFactory, GPUFactory, UserFactory
from tests.jobs import run_queued_jobs

pytestmark = pytest.mark.django_db


def moment(hours):
    return timezone.now().replace(microsecond=0) + timedelta(hours=hours)


def reservation(gpu=None, user=None, start=-0.1, end=2, **fields):
    return GpuReservation.objects.create(gpu=gpu or GPUFactory(), user=user or UserFactory(email=f"u{GpuReservation.objects.count()}@example.com"),
                                         starts_at=moment(start), ends_at=moment(end), purpose="training", **fields)


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """What runs when the jobs' transactions commit (their e-mail), run at the end of each
    ``committed()`` block: the test's own transaction never commits."""
    global committed
    committed = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731


def run_job(task):
    with committed():
        task.enqueue()
        run_queued_jobs()


def test_a_reservation_due_while_the_worker_was_down_starts_on_the_next_run():
    booked = reservation(start=-0.5)  # due half an hour ago: nobody ran the job
    run_job(run_reservations)
    booked.refresh_from_db()
    gpu = GPU.objects.get(pk=booked.gpu_id)
    assignment = GPUAssignment.objects.get(gpu=gpu, released_at__isnull=True)
    assert (booked.status, gpu.assigned_to_id, gpu.status) == ("active", booked.user_id, "in_use")
    assert (assignment.purpose, assignment.expires_at, assignment.assigned_by_name) == ("training", booked.ends_at,
                                                                                        "system")
    assert [m.to for m in mail.outbox] == [["u0@example.com"]] and "started" in mail.outbox[0].subject
    entry = AuditLog.objects.filter(resource_type="gpu", resource_id=gpu.id).latest("id")
    assert (entry.action, entry.username) == ("assign", "system")
    run_job(run_reservations)  # idempotent
    assert GPUAssignment.objects.filter(gpu=gpu).count() == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize("state", ["error", "held"])
def test_a_gpu_in_error_or_still_held_at_start_fails_with_the_reason(state):
    gpu = GPUFactory()
    if state == "error":
        GPU.objects.filter(pk=gpu.pk).update(status="error")
    else:
        GPUAssignmentFactory(gpu=gpu, user=UserFactory(display_name="Carol"))
    booked = reservation(gpu)
    run_job(run_reservations)
    booked.refresh_from_db()
    assert booked.status == "failed"
    assert booked.status_reason == ("The GPU was in error when the reservation started." if state == "error"
                                    else "The GPU was still held by Carol when the reservation started.")
    assert "failed" in mail.outbox[0].subject and booked.status_reason in mail.outbox[0].body


def test_a_window_that_passed_entirely_while_down_fails():
    booked = reservation(start=-3, end=-1)
    reservation_jobs.start_due_reservations()
    booked.refresh_from_db()
    assert (booked.status, booked.status_reason) == ("failed", reservation_jobs.MISSED)


def test_at_the_end_the_gpu_is_released_and_the_reservation_completed():
    booked = reservation(start=-0.2, end=0.1)
    reservation_jobs.start_due_reservations()
    later = timezone.now() + timedelta(hours=1)
    assert release_expired_gpus(later) == []  # the reservation's end releases it, not expiry
    with committed():
        reservation_jobs.end_finished_reservations(later)
    booked.refresh_from_db()
    assignment = GPUAssignment.objects.get(gpu=booked.gpu)
    assert booked.status == "completed"
    assert (assignment.release_reason, GPU.objects.get(pk=booked.gpu_id).status) == ("reservation ended", "free")
    assert "ended" in mail.outbox[-1].subject


def test_a_holder_who_extended_beyond_the_end_keeps_the_gpu():
    booked = reservation(start=-0.2, end=0.1)
    reservation_jobs.start_due_reservations()
    GPUAssignment.objects.filter(gpu=booked.gpu).update(expires_at=moment(5))
    reservation_jobs.end_finished_reservations(timezone.now() + timedelta(hours=1))
    booked.refresh_from_db()
    assert booked.status == "completed" and GPU.objects.get(pk=booked.gpu_id).assigned_to_id == booked.user_id


def test_the_holders_own_next_booking_continues_the_hold():
    user = UserFactory()
    gpu = GPUFactory()
    GPUAssignmentFactory(gpu=gpu, user=user, expires_at=moment(0.05))
    booked = reservation(gpu, user, start=-0.01, end=2)
    reservation_jobs.start_due_reservations()
    booked.refresh_from_db()
    assert booked.status == "active"
    assert GPUAssignment.objects.get(gpu=gpu, released_at__isnull=True).expires_at == booked.ends_at


def test_cancelling_an_active_reservation_releases_the_gpu_as_the_canceller(api_as):
    user = UserFactory()
    booked = reservation(user=user)
    reservation_jobs.start_due_reservations()
    response = api_as(user).delete(f"/gpu-reservations/{booked.id}")
    assert response.status_code == 200 and response.json()["data"]["status"] == "cancelled"
    assignment = GPUAssignment.objects.get(gpu=booked.gpu)
    assert (assignment.release_reason, assignment.released_by_id) == ("reservation cancelled", user.id)
    entry = AuditLog.objects.filter(resource_type="gpu", resource_id=booked.gpu_id).latest("id")
    assert (entry.action, entry.user_id) == ("release", user.id)


@pytest.mark.parametrize("deleted", ["gpu", "server"])
def test_deleting_a_gpu_or_server_cancels_its_pending_reservations_audited(admin_user, deleted):
    booked = reservation(start=5, end=6)
    with use_context(ChangeContext(user=admin_user, username=admin_user.username)):
        crud.delete(booked.gpu if deleted == "gpu" else booked.gpu.server)
    assert not GpuReservation.objects.filter(pk=booked.pk).exists()
    entry = AuditLog.objects.get(resource_type="gpu_reservation", resource_id=booked.pk, action="update")
    assert entry.changes["status"] == {"old": "pending", "new": "cancelled"} and entry.user_id == admin_user.id


def test_deactivating_a_user_cancels_their_pending_reservations(admin_user):
    booked = reservation(start=5, end=6)
    other = reservation(start=7, end=8)
    update_user(booked.user, {"is_active": False})
    booked.refresh_from_db()
    other.refresh_from_db()
    assert (booked.status, booked.status_reason, other.status) == ("cancelled", "The user was deactivated.", "pending")


def test_reserved_and_used_time_counts_in_utilisation():
    booked = reservation(start=-0.1, end=2)
    reservation_jobs.start_due_reservations()
    GPUAssignment.objects.filter(gpu=booked.gpu).update(assigned_at=moment(-2))
    now = timezone.now()
    rows = gpu_utilization(now - timedelta(days=1), now, now=now, group_by="user")
    assert [(row["user_id"], row["gpu_hours"]) for row in rows] == [(booked.user_id, 2.0)]


def test_a_reminder_goes_once_per_expiry_and_again_after_an_extension():
    holder = UserFactory(email="h@example.com")
    gpu = GPUFactory()
    assignment = GPUAssignmentFactory(gpu=gpu, user=holder, expires_at=moment(3))
    GPUAssignmentFactory(gpu=GPUFactory(), user=UserFactory(email="late@example.com"), expires_at=moment(48))
    run_job(send_expiry_reminders)
    run_job(send_expiry_reminders)
    assert [m.to for m in mail.outbox] == [["h@example.com"]]
    assert ReminderSent.objects.count() == 1
    GPUAssignment.objects.filter(pk=assignment.pk).update(expires_at=moment(4))
    with committed():
        reservation_jobs.send_expiry_reminders()
    assert len(mail.outbox) == 2


def test_the_reminder_window_is_a_setting(settings):
    settings.REMINDER_HOURS_BEFORE = 1
    GPUAssignmentFactory(gpu=GPUFactory(), user=UserFactory(email="h@example.com"), expires_at=moment(3))
    assert reservation_jobs.send_expiry_reminders() == []
    assert reservation_jobs.send_expiry_reminders(timezone.now() + timedelta(hours=2.5)) != []
