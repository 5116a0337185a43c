from django.conf import settings
from django.db import models

from .choices import Action, ResourceType


class AuditLog(models.Model):
    """One change to one object: who, when, from where, and what changed. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_logs",
        db_constraint=True,
    )
    username = models.CharField(max_length=64)
    action = models.CharField(max_length=16, choices=Action.choices)
    resource_type = models.CharField(max_length=16, choices=ResourceType.choices)
    resource_id = models.BigIntegerField("resource ID")
    resource_name = models.CharField(max_length=200, null=True, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=256, null=True, blank=True)
    request_id = models.CharField("request ID", max_length=64, null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every write of the system inserts here, so only what the list filters and sorts by
        # is indexed (each index costs every insert): no text-pattern twins (icontains cannot
        # use them), nothing for resource_name (keyword search only).
        indexes = [
            models.Index(fields=["resource_type", "resource_id"], name="audit_resource_idx"),
            # Newest first, as listed; entries written in one batch share created_at.
            models.Index(fields=["created_at", "id"], name="audit_created_id_idx"),
            models.Index(fields=["username", "id"], name="audit_username_idx"),
            models.Index(fields=["action", "id"], name="audit_action_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]

    def __str__(self):
        return f"{self.username} {self.action} {self.resource_type} #{self.resource_id}"
