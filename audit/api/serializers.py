from rest_framework import serializers

from audit.models import AuditLog
from itam.api.fields import DateTimeField

LIST_FIELDS = (
    "id", "user_id", "username", "action", "resource_type", "resource_id", "resource_name", "ip_address",
    "created_at", "request_id",
)
DETAIL_ONLY_FIELDS = ("changes", "snapshot", "user_agent")


class AuditLogSerializer(serializers.ModelSerializer):
    """An entry as the list shows it (API.md §6.1): without the bulky detail fields."""

    created_at = DateTimeField(read_only=True)

    class Meta:
        model = AuditLog
        fields = LIST_FIELDS
        read_only_fields = fields


class AuditLogDetailSerializer(AuditLogSerializer):
    class Meta(AuditLogSerializer.Meta):
        fields = LIST_FIELDS + DETAIL_ONLY_FIELDS
        read_only_fields = fields
