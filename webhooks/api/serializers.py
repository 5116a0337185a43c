"""Webhooks and their delivery attempts as the API shows them (docs/API-NOTES.md)."""
from rest_framework import serializers

from itam.api import fields
from itam.api.serializers import ModelSerializer
from webhooks.models import Webhook, WebhookDelivery


class WebhookSerializer(ModelSerializer):
    events = serializers.ListField(child=fields.CharField(max_length=64), allow_empty=False)
    # Write-only: the clear secret never comes back; ``has_secret`` says whether one is set.
    secret = fields.CharField(write_only=True, required=False, allow_null=True, max_length=256,
                              trim_whitespace=False)
    has_secret = fields.BooleanField(read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "secret", "has_secret", "enabled", "consecutive_failures",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "consecutive_failures", "created_at", "updated_at"]


class WebhookDeliverySerializer(ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "webhook_id", "delivery_id", "event", "attempt", "succeeded", "status_code", "duration_ms",
                  "error", "request_body", "response_body", "created_at", "next_attempt_at"]
        read_only_fields = fields
