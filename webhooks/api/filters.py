"""Filters of GET /webhooks and GET /webhooks/{id}/deliveries (docs/API-NOTES.md)."""
from itam.api.filters import BooleanFilter, FilterSet
from webhooks.models import Webhook, WebhookDelivery


class WebhookFilterSet(FilterSet):
    keyword_fields = ("name", "url")
    ordering_fields = ("id", "name", "created_at", "consecutive_failures")
    default_ordering = ("name",)

    enabled = BooleanFilter()

    class Meta:
        model = Webhook
        fields = []


class WebhookDeliveryFilterSet(FilterSet):
    ordering_fields = ("id", "created_at", "attempt", "status_code")
    default_ordering = ("-created_at",)

    succeeded = BooleanFilter()

    class Meta:
        model = WebhookDelivery
        fields = ["event"]
