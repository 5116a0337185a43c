"""Background jobs (itam/jobs.py): the configured backend's real worker and the scheduler.

CI runs this on SQLite with the database backend and on PostgreSQL with RQ on Redis.
"""
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from inventory.models import GPU, GPUAssignment
from inventory.services.gpu_assignment import assign_gpu
from inventory.tasks import release_expired_gpu_assignments
from itam.jobs import PERIODIC, enqueue_after_commit
from tests.factories import GPUFactory, UserFactory
from tests.jobs import run_queued_jobs

pytestmark = pytest.mark.django_db


def test_the_backend_is_the_one_the_settings_name():
    expected = {"database": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
    assert settings.TASKS["default"]["BACKEND"] == expected[settings.TASK_BACKEND]


def test_a_queued_job_runs_in_the_worker_and_reports_its_result():
    result = release_expired_gpu_assignments.enqueue()
    assert result.status == TaskResultStatus.READY
    run_queued_jobs()
    result.refresh()
    assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, 0)


def test_the_expiry_job_releases_an_expired_assignment(admin_user):
    gpu = GPUFactory()
    assign_gpu(gpu.id, UserFactory().id, by=admin_user, expires_at=timezone.now() + timedelta(minutes=5))
    GPUAssignment.objects.filter(gpu=gpu).update(expires_at=timezone.now() - timedelta(minutes=1))
    release_expired_gpu_assignments.enqueue()
    run_queued_jobs()
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id) == ("free", None)
    assert GPUAssignment.objects.get(gpu=gpu).release_reason == "expired"


def test_the_scheduler_enqueues_every_periodic_job_once_with_once():
    assert "inventory.tasks.release_expired_gpu_assignments" in PERIODIC
    out = io.StringIO()
    call_command("run_scheduler", once=True, stdout=out)
    assert out.getvalue().strip() == f"Enqueued {len(PERIODIC)} periodic job(s)."
    if settings.TASK_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        queued = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    else:
        import django_rq

        queued = sorted(job.func_name for job in django_rq.get_queue("default").jobs)
    assert queued == sorted(PERIODIC)


def _queued_count():
    if settings.TASK_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.count()
    import django_rq

    return django_rq.get_queue("default").count


def test_enqueue_after_commit_sends_nothing_for_a_rolled_back_write(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_after_commit(release_expired_gpu_assignments)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert (callbacks, _queued_count()) == ([], 0)


def test_enqueue_after_commit_enqueues_once_the_write_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue_after_commit(release_expired_gpu_assignments)
            assert _queued_count() == 0
    assert _queued_count() == 1
