"""Run queued background jobs with the configured backend's own worker (itam/jobs.py).

database backend -> django_tasks_db's ``db_worker``; rq backend -> django_rq's ``rqworker``
with django_tasks_rq's job class. ``--batch`` runs what is queued now, then exits (tests,
cron); without it the worker runs until stopped.
"""
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background jobs (database backend: db_worker; rq backend: rqworker)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is queued now, then exit.")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="rq backend: run jobs in this process instead of a forked child (tests).",
        )

    def handle(self, *args, batch=False, in_process=False, verbosity=1, **options):
        if settings.TASK_BACKEND == "rq":
            # The scheduler moves deferred jobs (``run_after``: webhook retries) to the queue when
            # due; in a batch it does so once, at the start.
            worker_options = {"job_class": "django_tasks_rq.Job", "burst": batch, "with_scheduler": True}
            if in_process:
                worker_options["worker_class"] = "rq.worker.SimpleWorker"
            call_command("rqworker", *settings.RQ_QUEUES, verbosity=verbosity, **worker_options)
        else:
            no_reload = {"reload": False} if batch else {}
            call_command("db_worker", batch=batch, no_startup_delay=True, verbosity=verbosity, **no_reload)
