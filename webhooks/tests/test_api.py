"""/api/webhooks: admin-only CRUD in the API.md envelope, the write-only secret, the audit of
webhook changes, the address rules at save, and /webhooks/{id}/deliveries."""
import json

import pytest
from django.test import override_settings

from audit.models import AuditLog
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

PUBLIC = "http://93.184.215.14/hook"  # a public address: nothing resolves, nothing is sent


def body(response):
    return json.loads(response.content)


def create(api, **values):
    return api.post("/webhooks", {"name": "ops", "url": PUBLIC, "events": ["server.*"], "secret": "k", **values})


def test_an_admin_creates_reads_updates_and_deletes_a_webhook(admin_api):
    created = create(admin_api)
    assert created.status_code == 201
    data = body(created)["data"]
    assert (body(created)["message"], data["has_secret"], "secret" in data) == ("Webhook created.", True, False)
    assert {k: data[k] for k in ("name", "url", "events", "enabled", "consecutive_failures")} == {
        "name": "ops", "url": PUBLIC, "events": ["server.*"], "enabled": True, "consecutive_failures": 0}
    path = f"/webhooks/{data['id']}"
    assert body(admin_api.get(path))["data"] == data
    updated = admin_api.put(path, {"events": ["gpu.assign", "gpu.release"], "secret": ""})
    assert (updated.status_code, body(updated)["data"]["has_secret"]) == (200, False)
    listed = body(admin_api.get("/webhooks"))
    assert (listed["pagination"]["total"], listed["data"][0]["events"]) == (1, ["gpu.assign", "gpu.release"])
    deleted = admin_api.delete(path)
    assert (deleted.status_code, body(deleted)["data"], Webhook.objects.count()) == (200, None, 0)


def test_webhook_changes_are_audited_with_the_secret_hidden(admin_api):
    webhook_id = body(create(admin_api))["data"]["id"]
    admin_api.put(f"/webhooks/{webhook_id}", {"secret": "new"})
    entries = AuditLog.objects.filter(resource_type="webhook").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[0].changes["secret"] == {"old": None, "new": "***"}
    assert entries[1].changes == {"secret": {"old": "***", "new": "***"}}


def test_an_update_without_the_secret_keeps_it(admin_api):
    webhook_id = body(create(admin_api))["data"]["id"]
    assert body(admin_api.put(f"/webhooks/{webhook_id}", {"name": "renamed"}))["data"]["has_secret"] is True
    assert Webhook.objects.get().secret == "k"


def test_only_admins_reach_webhooks(user_api, api_as):
    assert user_api.get("/webhooks").status_code == 403
    assert create(user_api).status_code == 403
    assert api_as().get("/webhooks").status_code == 401


@pytest.mark.parametrize("values, field", [
    ({"url": "ftp://example.org/x"}, "url"),
    ({"url": "http://user:pw@93.184.215.14/"}, "url"),
    ({"url": "http://127.0.0.1:9/hook"}, "url"),
    ({"url": "http://[::1]/hook"}, "url"),
    ({"url": "http://169.254.169.254/latest"}, "url"),
    ({"url": "http://10.0.0.8/hook"}, "url"),
    ({"url": "http://[::ffff:192.168.0.1]/"}, "url"),
    ({"url": "http://224.0.0.1/"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"events": []}, "events"),
    ({"events": ["server.explode"]}, "events"),
    ({"events": ["webhook.create"]}, "events"),
    ({"events": "server.create"}, "events"),
    ({"name": ""}, "name"),
])
def test_bad_input_is_a_400_on_its_field_and_saves_nothing(admin_api, values, field):
    response = create(admin_api, **values)
    assert (response.status_code, list(body(response)["errors"])) == (400, [field])
    assert Webhook.objects.count() == 0


def test_a_private_address_is_accepted_when_the_switch_is_on(admin_api):
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        assert create(admin_api, url="http://127.0.0.1:9/hook").status_code == 201


def test_a_duplicate_name_is_a_422(admin_api):
    create(admin_api)
    response = create(admin_api, name="OPS")
    assert (response.status_code, list(body(response)["errors"])) == (422, ["name"])


def test_deliveries_are_listed_newest_first_and_paginated(admin_api):
    webhook = Webhook.objects.create(name="ops", url=PUBLIC, events=["*"])
    for attempt in (1, 2, 3):
        WebhookDelivery.objects.create(webhook=webhook, event="server.create", attempt=attempt, request_body="{}",
                                       status_code=500, error="HTTP 500.")
    response = admin_api.get(f"/webhooks/{webhook.pk}/deliveries", {"page_size": 2})
    data = body(response)
    assert [d["attempt"] for d in data["data"]] == [3, 2]
    assert data["pagination"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    assert set(data["data"][0]) == {"id", "webhook_id", "delivery_id", "event", "attempt", "succeeded", "status_code",
                                    "duration_ms", "error", "request_body", "response_body", "created_at",
                                    "next_attempt_at"}
    assert admin_api.get("/webhooks/999/deliveries").status_code == 404
    assert admin_api.get(f"/webhooks/{webhook.pk}/deliveries", {"succeeded": "maybe"}).status_code == 400


def test_the_list_renders_as_plain_drf(admin_api, settings):
    Webhook.objects.create(name="a", url=PUBLIC, events=["*"], secret="x")
    Webhook.objects.create(name="b", url=PUBLIC, events=["gpu.assign"])
    compiled = admin_api.get("/webhooks").content
    settings.COMPILED_READS = False
    assert admin_api.get("/webhooks").content == compiled
