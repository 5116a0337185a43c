"""Audit events delivered to webhooks through the job system, to a receiver on 127.0.0.1
(``WEBHOOK_ALLOW_PRIVATE`` on): signed bodies, retries with backoff, nothing for a
rolled-back write, the address rules at delivery time, no redirects, the 64 KB cap, and
the webhook disabled after 50 failures in a row. Runs with either job backend."""
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone

from audit.bulk import bulk_create_with_audit
from audit.models import AuditLog
from inventory.models import Datacenter
from tests.jobs import deferred_jobs, make_deferred_jobs_due, run_queued_jobs
from webhooks import delivery, services
from webhooks.models import Webhook, WebhookDelivery
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def private_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


def hook(receiver, events=("datacenter.*",), **values):
    return services.create_webhook({"name": "ops", "url": receiver.url(), "events": list(events),
                                    "secret": SECRET, **values})


def create_datacenter(api, capture, name="AMS1"):
    with capture(execute=True):
        response = api.post("/datacenters", {"name": name})
    assert response.status_code == 201, response.content
    return response


def test_a_committed_write_is_delivered_once_with_a_valid_signature(admin_api, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook(receiver)
        response = create_datacenter(admin_api, django_capture_on_commit_callbacks)
        run_queued_jobs()
    [request] = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-ITAM-Signature"], expected)
    body = json.loads(request.body)
    entry = AuditLog.objects.get(resource_type="datacenter")
    assert body == {
        "delivery_id": request.headers["X-ITAM-Delivery"],
        "event": "datacenter.create", "resource_type": "datacenter", "resource_id": entry.resource_id,
        "resource_name": "AMS1", "action": "create", "changes": entry.changes,
        "user": {"id": entry.user_id, "username": "admin"},
        "request_id": response.headers["X-Request-ID"],
        "timestamp": entry.created_at.replace(microsecond=0).isoformat(),
    }
    assert (request.path, request.headers["X-ITAM-Event"], request.headers["Content-Type"]) == (
        "/hook", "datacenter.create", "application/json")
    attempt = WebhookDelivery.objects.get()
    assert (attempt.attempt, attempt.succeeded, attempt.status_code, attempt.next_attempt_at) == (1, True, 200, None)


def test_only_matching_enabled_webhooks_receive_an_event(admin_api, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook(receiver, events=["datacenter.create"], name="match")
        hook(receiver, events=["server.*", "gpu.assign"], name="other")
        hook(receiver, events=["*"], name="off", enabled=False)
        create_datacenter(admin_api, django_capture_on_commit_callbacks)
        run_queued_jobs()
    assert [r.headers["X-ITAM-Event"] for r in receiver.received] == ["datacenter.create"]
    assert list(WebhookDelivery.objects.values_list("webhook__name", flat=True)) == ["match"]


def test_nothing_is_sent_for_a_rolled_back_write(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook(receiver)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError):
                with transaction.atomic():
                    Datacenter.objects.create(name="GONE")
                    raise RuntimeError("roll back")
        run_queued_jobs()
    assert (callbacks, receiver.received, WebhookDelivery.objects.count()) == ([], [], 0)


def test_a_rolled_back_savepoint_sends_nothing_while_the_rest_of_the_write_is_sent(
        django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook(receiver)
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                Datacenter.objects.create(name="KEPT")
                with pytest.raises(RuntimeError), transaction.atomic():
                    Datacenter.objects.create(name="GONE")
                    raise RuntimeError("roll back the savepoint")
        run_queued_jobs()
    assert [json.loads(r.body)["resource_name"] for r in receiver.received] == ["KEPT"]


def test_bulk_writes_are_announced_through_the_same_hook(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook(receiver)
        with django_capture_on_commit_callbacks(execute=True):
            bulk_create_with_audit(Datacenter, [Datacenter(name=f"DC{i}") for i in range(3)], action="import")
        run_queued_jobs()
    assert sorted(json.loads(r.body)["resource_name"] for r in receiver.received) == ["DC0", "DC1", "DC2"]
    assert {r.headers["X-ITAM-Event"] for r in receiver.received} == {"datacenter.import"}


def test_changes_to_webhooks_are_audited_but_never_announced(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            webhook = hook(receiver, events=["*"])
            services.update_webhook(webhook, {"name": "renamed"})
        run_queued_jobs()
    assert (callbacks, receiver.received) == ([], [])
    assert AuditLog.objects.filter(resource_type="webhook").count() == 2


def test_a_failed_attempt_is_retried_later_with_backoff(settings, admin_api, django_capture_on_commit_callbacks):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    with Receiver(answers=[500, 200]) as receiver:
        webhook = hook(receiver)
        create_datacenter(admin_api, django_capture_on_commit_callbacks)
        before = timezone.now()
        run_queued_jobs()
        [(task_path, run_after)] = deferred_jobs()
        assert task_path == "webhooks.tasks.deliver_webhook"
        assert 59 <= (run_after - before).total_seconds() <= 65
        run_queued_jobs()  # not due yet: nothing runs
        assert len(receiver.received) == 1
        make_deferred_jobs_due()
        run_queued_jobs()
    first, second = receiver.received
    assert first.body == second.body and first.headers["X-ITAM-Delivery"] == second.headers["X-ITAM-Delivery"]
    attempts = list(WebhookDelivery.objects.order_by("attempt").values_list("attempt", "status_code", "succeeded"))
    assert attempts == [(1, 500, False), (2, 200, True)]
    assert WebhookDelivery.objects.get(attempt=1).next_attempt_at is not None
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0
    assert deferred_jobs() == []


def test_the_delay_doubles_and_the_fifth_attempt_is_the_last(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    with Receiver(answers=[503]) as receiver:
        webhook = hook(receiver)
        record = delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 5)
    assert (record.attempt, record.status_code, record.next_attempt_at) == (5, 503, None)
    assert deferred_jobs() == []


def test_a_redirect_is_not_followed():
    with Receiver(answers=[(302, {"Location": "http://127.0.0.1:1/elsewhere"}, b"")]) as receiver:
        webhook = hook(receiver)
        record = delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 1)
    assert len(receiver.received) == 1
    assert (record.status_code, record.succeeded) == (302, False)
    assert "not followed" in record.error


def test_at_most_64_kb_of_an_answer_is_read():
    with Receiver(answers=["endless"]) as receiver:
        webhook = hook(receiver)
        record = delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 1)
    assert (record.status_code, record.succeeded, record.error) == (200, True, "")
    assert record.response_body == "x" * 1000  # the excerpt kept of what was read


def test_a_private_address_is_refused_at_delivery_when_the_switch_is_off(private_allowed):
    with Receiver() as receiver:
        webhook = hook(receiver)
        private_allowed.WEBHOOK_ALLOW_PRIVATE = False
        record = delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 1)
    assert receiver.received == []
    assert (record.status_code, record.succeeded) == (None, False)
    assert "non-public address (127.0.0.1)" in record.error


def test_fifty_failures_in_a_row_disable_the_webhook_with_an_audited_notice(caplog):
    with Receiver(answers=[500]) as receiver:
        webhook = hook(receiver)
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=services.DISABLE_AFTER - 2)
        delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 1)
        webhook.refresh_from_db()
        assert (webhook.enabled, webhook.consecutive_failures) == (True, 49)
        last = delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 2)
        assert last.next_attempt_at is None
        assert len(deferred_jobs()) == 1  # the first attempt's retry; none after the disabling one
        assert delivery.attempt(webhook.pk, "8c0f0f3e-4a43-4cf4-9d1c-2f4a7f0b7a11", "datacenter.create", "{}", 3) \
            is None
    webhook.refresh_from_db()
    assert (webhook.enabled, webhook.consecutive_failures) == (False, 50)
    notice = AuditLog.objects.get(resource_type="webhook", action="update")
    assert (notice.username, notice.changes) == ("system", {"enabled": {"old": True, "new": False}})
    assert "disabled: 50 failed delivery attempts in a row" in caplog.text
    assert len(receiver.received) == 2


def test_re_enabling_a_webhook_starts_the_count_again():
    with Receiver() as receiver:
        webhook = hook(receiver, enabled=False)
    Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=50)
    webhook.refresh_from_db()
    services.update_webhook(webhook, {"enabled": True})
    webhook.refresh_from_db()
    assert (webhook.enabled, webhook.consecutive_failures) == (True, 0)


def test_a_test_event_is_recorded_and_not_counted():
    with Receiver(answers=[500]) as receiver:
        webhook = hook(receiver)
        record = delivery.send_test(webhook)
    assert (record.event, record.status_code, json.loads(receiver.received[0].body)["event"]) == (
        "webhook.test", 500, "webhook.test")
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0
    assert deferred_jobs() == []
