"""An operator adds a webhook in the admin (a refused URL first), sends it a test event and
reads the attempt on the webhook's page; the secret is never shown back.

Leaves var/screenshots/<test name>[-step].png (see conftest.py).
"""
from playwright.sync_api import expect

from webhooks.models import Webhook, WebhookDelivery
from webhooks.tests.receiver import Receiver


def test_add_a_webhook_send_a_test_event_and_read_the_attempt(admin_page, screenshot, settings):
    page = admin_page
    with Receiver() as receiver:
        page.goto("/admin/webhooks/webhook/add/")
        page.fill("#id_name", "chat-ops")
        page.fill("#id_url", receiver.url())
        page.fill("#id_events", "server.*, gpu.assign")
        page.fill("#id_secret", "top-secret")
        page.locator('input[name="_save"]').click()
        expect(page.locator(".errornote")).to_be_visible()  # loopback refused: the switch is off
        expect(page.locator(".field-url .errorlist")).to_contain_text("non-public address (127.0.0.1)")
        screenshot(page, "refused")

        settings.WEBHOOK_ALLOW_PRIVATE = True
        page.fill("#id_secret", "top-secret")  # a password field is not sent back
        page.locator('input[name="_save"]').click()
        expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
        webhook = Webhook.objects.get()
        assert (webhook.events, webhook.secret, webhook.enabled) == (["server.*", "gpu.assign"], "top-secret", True)

        page.locator("#result_list input.action-select").first.check()
        page.select_option('select[name="action"]', "send_test_event")
        page.locator('button[name="index"]').click()
        expect(page.locator(".messagelist .success")).to_contain_text("Test event to chat-ops: HTTP 200")
        assert len(receiver.received) == 1
        screenshot(page, "sent")

    page.goto(f"/admin/webhooks/webhook/{webhook.pk}/change/")
    expect(page.locator(".webhook-deliveries")).to_contain_text("webhook.test")
    expect(page.locator("#id_secret")).to_have_value("")
    expect(page.locator("#id_events")).to_have_value("server.*, gpu.assign")
    assert WebhookDelivery.objects.get().status_code == 200
