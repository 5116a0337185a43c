"""The webhooks' background job (itam/jobs.py): one delivery attempt."""
from django_tasks import task

from . import delivery


@task()
def deliver_webhook(webhook_id, delivery_id, event, body, attempt=1):
    """Attempt ``attempt`` of delivering ``body`` (JSON text) to a webhook; schedules the next
    on failure. Returns the attempt's status code (None: not sent or no answer)."""
    record = delivery.attempt(webhook_id, delivery_id, event, body, attempt)
    return None if record is None else record.status_code
