"""Webhooks: where to POST each audit event, and every attempt made (docs/API-NOTES.md).

Declarative only: the rules (URL safety, event names, retries, disabling) live in
``webhooks.services`` and ``webhooks.delivery``.
"""
import uuid

from django.db import models

from audit.history import history_records
from itam.persistence import FoldedKeyField, FoldedKeysMixin


class Webhook(FoldedKeysMixin, models.Model):
    name = models.CharField(max_length=64)
    name_key = FoldedKeyField("name", max_length=192, default="")
    url = models.CharField("URL", max_length=2000)
    # "<resource_type>.<action>" (server.create, gpu.assign), "<resource_type>.*" or "*".
    events = models.JSONField(default=list)
    # Signs the body (HMAC-SHA256); kept in clear because signing needs it, never shown back.
    secret = models.CharField(max_length=256, blank=True, default="")
    enabled = models.BooleanField(default=True)
    # Failed attempts in a row (any event); reset by a success, never audited (not a change
    # anyone made). Written by conditional UPDATEs, so concurrent workers count every one.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history_records(excluded_fields=["consecutive_failures", "updated_at"])

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name_key"], name="webhook_name_ci_unique",
                violation_error_message="A webhook with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_secret(self):
        return bool(self.secret)


class WebhookDelivery(models.Model):
    """One attempt to deliver one event. Attempts of one event share ``delivery_id`` (the
    ``X-ITAM-Delivery`` header) and the body."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField()
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    request_body = models.TextField()
    response_body = models.TextField(blank=True, default="")  # the first RESPONSE_EXCERPT characters
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # when a retry is scheduled

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["webhook", "-created_at", "-id"], name="webhook_delivery_list_idx")]

    def __str__(self):
        return f"{self.event} #{self.attempt} -> {self.status_code or self.error or 'pending'}"
