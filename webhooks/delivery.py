"""Delivering audit events to webhooks: the body, its signature, one attempt, the retries.

An event becomes one body per matching webhook (``body_for``), serialized once: the attempts
of a delivery send the same bytes under the same ``X-ITAM-Delivery`` id. An attempt checks the
webhook (still there, still enabled) and its URL again, POSTs, records the outcome
(``services.record_attempt``) and, if it failed and attempts remain, enqueues the next one
``RETRY_BASE_SECONDS * 2 ** (attempt - 1)`` later (the backend's ``run_after``).
"""
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from itam.api.fields import format_datetime
from itam.errors import Invalid

from . import addresses, services, transport
from .models import Webhook

MAX_ATTEMPTS = 5
USER_AGENT = "ITAM-Webhooks/1"


def body_for(event, delivery_id):
    """The JSON body (bytes) announcing one audit ``event`` (``audit.events.Event``)."""
    return json.dumps({
        "delivery_id": str(delivery_id),
        "event": event.name,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "resource_name": event.resource_name,
        "action": event.action,
        "changes": event.changes,
        "user": {"id": event.user_id, "username": event.username},
        "request_id": event.request_id,
        "timestamp": format_datetime(event.created_at),
    }, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_for(webhook, delivery_id, event_name, body):
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-ITAM-Event": event_name,
        "X-ITAM-Delivery": str(delivery_id),
    }
    if webhook.secret:
        headers["X-ITAM-Signature"] = signature(webhook.secret, body)
    return headers


def retry_delay(attempt):
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def _send(webhook, delivery_id, event_name, data):
    try:
        target = addresses.check(webhook.url)  # again: DNS may have changed since the save
    except Invalid as refused:
        return transport.Outcome(None, 0, refused.message)
    return transport.post(target, data, headers_for(webhook, delivery_id, event_name, data),
                          settings.WEBHOOK_TIMEOUT_SECONDS)


def attempt(webhook_id, delivery_id, event_name, body, number):
    """Make attempt ``number`` of a delivery; -> the WebhookDelivery, or None when the webhook
    is gone or disabled (nothing is sent, nothing recorded)."""
    webhook = Webhook.objects.filter(pk=webhook_id, enabled=True).first()
    if webhook is None:
        return None
    outcome = _send(webhook, delivery_id, event_name, body.encode())
    retry_at = None if outcome.succeeded or number >= MAX_ATTEMPTS else timezone.now() + retry_delay(number)
    record = services.record_attempt(webhook, outcome, delivery_id=delivery_id, event=event_name,
                                     attempt=number, body=body, next_attempt_at=retry_at)
    if retry_at is not None and webhook.enabled:  # not when this failure disabled it
        from .tasks import deliver_webhook  # noqa: PLC0415 - the task module imports this one

        deliver_webhook.using(run_after=retry_at).enqueue(webhook_id, str(delivery_id), event_name, body, number + 1)
    return record


TEST_EVENT = "webhook.test"


def send_test(webhook):
    """One attempt now (an admin's "send a test event"): recorded, never retried, and not
    counted against the webhook."""
    delivery_id = uuid.uuid4()
    body = json.dumps({"delivery_id": str(delivery_id), "event": TEST_EVENT, "webhook_id": webhook.pk,
                       "timestamp": format_datetime(timezone.now())}, separators=(",", ":"))
    outcome = _send(webhook, delivery_id, TEST_EVENT, body.encode())
    return services.record_attempt(webhook, outcome, delivery_id=delivery_id, event=TEST_EVENT, attempt=1,
                                   body=body, counted=False)
