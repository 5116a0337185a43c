"""The audit log in the Django admin: searchable, filterable, and read-only for everyone,
superusers included (entries are written only by the history hooks)."""
import json

from django.contrib import admin
from django.utils.html import format_html

from itam import access
from itam.admin_access import AccessAdminMixin
from itam.admin_mixins import ReadOnlyAdminMixin

from .models import AuditLog
from .recorder import ordered_changes


def pretty_json(value):
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, AccessAdminMixin, admin.ModelAdmin):
    access = access.ADMIN_ONLY
    list_display = (
        "created_at", "username", "action", "resource_type", "resource_id", "resource_name", "ip_address", "request_id",
    )
    list_filter = ("action", "resource_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("username", "resource_name", "request_id")
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = (
        "created_at", "user", "username", "ip_address", "user_agent", "request_id", "action", "resource_type",
        "resource_id", "resource_name", "changes_pretty", "snapshot_pretty",
    )
    readonly_fields = fields

    @admin.display(description="changes")
    def changes_pretty(self, obj):
        return pretty_json(ordered_changes(obj.changes))

    @admin.display(description="snapshot")
    def snapshot_pretty(self, obj):
        return pretty_json(obj.snapshot)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")
