"""Audit entries -> webhook deliveries: the one hook on ``audit.events.entries_written``,
whichever path wrote the entries (the history hook, or ``audit.bulk`` for imports/batches).

The events wait for the write's commit (a rolled-back write, or savepoint, sends nothing);
then the enabled webhooks are read once for them, and each (event, matching webhook) gets a
delivery job. Nothing here runs inside the request's transaction, and the only query is
that one read, after the commit.
"""
import uuid
from functools import partial

from django.db import transaction

from audit.events import entries_written
from itam.jobs import enqueue_after_commit

from . import events as event_names
from .delivery import body_for
from .models import Webhook
from .tasks import deliver_webhook


def on_entries_written(sender, events, **kwargs):
    announced = [event for event in events if event.resource_type not in event_names.UNANNOUNCED]
    if announced:
        # robust: the write has committed; a queue that is down must not turn it into a 500.
        transaction.on_commit(partial(enqueue_deliveries, announced), robust=True)


def enqueue_deliveries(events):
    webhooks = list(Webhook.objects.filter(enabled=True).only("id", "events"))
    for event in events:
        for webhook in webhooks:
            if event_names.matches(webhook.events, event.name):
                delivery_id = uuid.uuid4()
                body = body_for(event, delivery_id).decode()
                enqueue_after_commit(deliver_webhook, webhook.pk, str(delivery_id), event.name, body)


def connect():
    entries_written.connect(on_entries_written, dispatch_uid="webhooks.dispatch")
