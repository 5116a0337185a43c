"""Run background jobs in tests with the configured backend's real worker (itam/jobs.py)."""
import io
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone


def run_queued_jobs():
    """Run every queued job in this process (so it sees the test's transaction), then return.

    Both workers close database connections (db_worker between jobs, rqworker before it
    forks), as long-running processes should; in a test that would close the test's own
    connection (Django's test client disconnects the same call from its request signals for
    the same reason)."""
    with (
        mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"),
        mock.patch("django_rq.management.commands.rqworker.reset_db_connections"),
    ):
        call_command(
            "run_worker", batch=True, in_process=True, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO()
        )


def clear_job_queue():
    """RQ keeps its queue in Redis, outside the test's rolled-back transaction: start empty."""
    if settings.TASK_BACKEND == "rq":
        import django_rq

        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            queue.empty()
            for job_id in queue.scheduled_job_registry.get_job_ids():
                queue.scheduled_job_registry.remove(job_id, delete_job=True)


def deferred_jobs():
    """``(task path, run_after)`` of every job waiting for its time (``task.using(run_after=)``)."""
    if settings.TASK_BACKEND == "rq":
        import django_rq

        waiting = []
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            registry = queue.scheduled_job_registry
            for job in map(queue.fetch_job, registry.get_job_ids()):
                waiting.append((job.func_name, registry.get_scheduled_time(job)))
        return waiting
    from django_tasks_db.models import DBTaskResult, get_date_max

    rows = DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max())
    return [(row.task_path, row.run_after) for row in rows]


def make_deferred_jobs_due():
    """Move every deferred job's time to now, as if its wait were over."""
    now = timezone.now()
    if settings.TASK_BACKEND == "rq":
        import django_rq

        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            registry = queue.scheduled_job_registry
            for job in map(queue.fetch_job, registry.get_job_ids()):
                registry.schedule(job, now - timedelta(seconds=1))
        return
    from django_tasks_db.models import DBTaskResult, get_date_max

    DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max()).update(run_after=now)
