"""The inventory's background jobs (itam/jobs.py)."""
from django_tasks import task

from audit.context import system_context
from itam.jobs import periodic

from .services import reservation_jobs
from .services.gpu_assignment import release_expired_gpus


@periodic(seconds=60)
@task()
def release_expired_gpu_assignments():
    """Release every GPU whose assignment expired (API.md §5); idempotent, catches up."""
    with system_context():
        return len(release_expired_gpus())


@periodic(seconds=60)
@task()
def run_reservations():
    """End finished reservations, then start due ones (a GPU freed by one reservation's end
    can start the next at the same minute), API.md §11.2; idempotent, catches up."""
    with system_context():
        ended = reservation_jobs.end_finished_reservations()
        started, failed = reservation_jobs.start_due_reservations()
    return {"ended": len(ended), "started": len(started), "failed": len(failed)}


@periodic(seconds=60)
@task()
def send_expiry_reminders():
    """Remind holders REMINDER_HOURS_BEFORE hours before their GPU expires (API.md §11.4)."""
    with system_context():
        return len(reservation_jobs.send_expiry_reminders())
