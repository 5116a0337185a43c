"""The inventory's background jobs (itam/jobs.py)."""
from django_tasks import task

from audit.context import system_context
from itam.jobs import periodic

from .services.gpu_assignment import release_expired_gpus


@periodic(seconds=60)
@task()
def release_expired_gpu_assignments():
    """Release every GPU whose assignment expired (API.md §5); idempotent, catches up."""
    with system_context():
        return len(release_expired_gpus())
