"""Run background jobs in tests with the configured backend's real worker (itam/jobs.py)."""
import io
from unittest import mock

from django.conf import settings
from django.core.management import call_command


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
            django_rq.get_queue(name).empty()
