"""Every write of webhooks and of their delivery records, and the rules they follow.

- a webhook's URL passes ``webhooks.addresses.check`` when it is saved (and again before each
  attempt, ``webhooks.delivery``); its events are names ``webhooks.events`` knows, at least one;
- the secret is write-only: kept when an update leaves it out, cleared by ``""``/``null``;
- a failed attempt counts against the webhook; ``DISABLE_AFTER`` failures in a row disable
  it, as an audited change by ``system`` (the notice) and a warning in the log; a success
  resets the count.
"""
import logging

from django.db import transaction
from django.db.models import F

from audit.context import system_context
from itam.errors import Invalid
from itam.persistence import changes_anything, delete_unreferenced, save_unique

from . import addresses, events
from .models import Webhook, WebhookDelivery

log = logging.getLogger(__name__)

DISABLE_AFTER = 50


def clean_events(names):
    names = list(dict.fromkeys(names or []))
    if not names:
        raise Invalid("Subscribe to at least one event.", field="events")
    problems = [p for p in map(events.problem, names) if p]
    if problems:
        raise Invalid(errors={"events": problems})
    return names


def _validate(values):
    if "url" in values:
        addresses.check(values["url"])
    if "events" in values:
        values["events"] = clean_events(values["events"])
    if "secret" in values:
        values["secret"] = values["secret"] or ""
    return values


def create_webhook(values):
    webhook = Webhook(**_validate(dict(values)))
    save_unique(webhook)
    return webhook


def update_webhook(webhook, values):
    values = _validate(dict(values))
    if not changes_anything(webhook, values):
        return webhook
    for name, value in values.items():
        setattr(webhook, name, value)
    if values.get("enabled"):
        webhook.consecutive_failures = 0  # re-enabled: the count starts again
    save_unique(webhook)
    return webhook


def delete_webhook(webhook):
    delete_unreferenced(webhook)


# --- delivery records ---------------------------------------------------------------------

def record_attempt(webhook, outcome, *, delivery_id, event, attempt, body, next_attempt_at=None, counted=True):
    """Keep one attempt and (``counted``) count it for or against the webhook; returns the
    WebhookDelivery."""
    with transaction.atomic():
        if counted and outcome.succeeded:
            Webhook.objects.filter(pk=webhook.pk, consecutive_failures__gt=0).update(consecutive_failures=0)
        elif counted and _count_failure(webhook.pk):
            webhook.enabled = False
            next_attempt_at = None  # a disabled webhook gets no retry
        return WebhookDelivery.objects.create(
            webhook=webhook, delivery_id=delivery_id, event=event, attempt=attempt, request_body=body,
            next_attempt_at=next_attempt_at, **outcome.as_fields(),
        )


def _count_failure(webhook_id):
    """Count a failed attempt; True when it disabled the webhook."""
    Webhook.objects.filter(pk=webhook_id).update(consecutive_failures=F("consecutive_failures") + 1)
    # Locked while deciding, so two workers failing at once disable (and audit) it once.
    webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
    if not (webhook.enabled and webhook.consecutive_failures >= DISABLE_AFTER):
        return False
    disable(webhook, f"{webhook.consecutive_failures} failed delivery attempts in a row")
    return True


def disable(webhook, reason):
    """Disable ``webhook`` as ``system`` (its audit entry is the notice) and log why."""
    with system_context():
        webhook.enabled = False
        webhook.save(update_fields=["enabled", "updated_at"])
    log.warning("Webhook %s (%s) disabled: %s.", webhook.pk, webhook.name, reason)
