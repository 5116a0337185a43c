from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditLog
from audit.recorder import ordered_changes
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
    changes = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_changes(self, entry):
        return ordered_changes(entry.changes)

    class Meta(AuditLogSerializer.Meta):
        fields = LIST_FIELDS + DETAIL_ONLY_FIELDS
        read_only_fields = fields
