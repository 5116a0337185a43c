"""The audit log in the Django admin: searchable, filterable, and read-only for everyone,
superusers included (entries are written only by the history hooks)."""
import json

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from itam import access
from itam.admin_access import AccessAdminMixin
from itam.admin_mixins import PluralTitleMixin, ReadOnlyAdminMixin

from . import registry
from .models import AuditLog
from .recorder import ordered_changes


def pretty_json(value):
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


def current_objects(entries):
    """``{(resource type, id): object}`` for the entries' objects that still exist: one query
    per resource type, each object read with what its label needs (``labelled()``)."""
    ids = {}
    for entry in entries:
        ids.setdefault(entry.resource_type, set()).add(entry.resource_id)
    found = {}
    for resource_type, pks in ids.items():
        model = registry.model_for(resource_type)
        if model is None:
            continue
        queryset = model._default_manager.all()
        if hasattr(queryset, "labelled"):
            queryset = queryset.labelled()
        found.update({(resource_type, obj.pk): obj for obj in queryset.filter(pk__in=pks)})
    return found


def admin_url(obj, view):
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])
    except NoReverseMatch:
        return None


class AuditChangeList(ChangeList):
    """The page's entries, each with the object it is about when it still exists."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        objects = current_objects(self.result_list)
        for entry in self.result_list:
            entry.current_object = objects.get((entry.resource_type, entry.resource_id))


@admin.register(AuditLog)
class AuditLogAdmin(PluralTitleMixin, ReadOnlyAdminMixin, AccessAdminMixin, admin.ModelAdmin):
    access = access.ADMIN_ONLY
    list_display = (
        "created_at", "username", "action", "resource_type", "resource_id", "object_link", "ip_address", "request_id",
    )
    list_filter = ("action", "resource_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("username", "resource_name", "request_id")
    list_per_page = 50
    fields = (
        "created_at", "user", "username", "ip_address", "user_agent", "request_id", "action", "resource_type",
        "resource_id", "resource_name", "object_link", "changes_pretty", "snapshot_pretty",
    )
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    @admin.display(description="object")
    def object_link(self, entry):
        """The object's page and its history, when it still exists; else the name recorded."""
        obj = entry.current_object if hasattr(entry, "current_object") else \
            current_objects([entry]).get((entry.resource_type, entry.resource_id))
        name = entry.resource_name or f"#{entry.resource_id}"
        if obj is None:
            return format_html('{} <span class="itam-muted">(deleted)</span>', name)
        change, history = admin_url(obj, "change"), admin_url(obj, "history")
        if change is None:
            return str(obj)
        return format_html('<a href="{}">{}</a> · <a href="{}" class="itam-history-link">history</a>',
                           change, getattr(obj, "label", obj), history)

    @admin.display(description="changes")
    def changes_pretty(self, obj):
        return pretty_json(ordered_changes(obj.changes))

    @admin.display(description="snapshot")
    def snapshot_pretty(self, obj):
        return pretty_json(obj.snapshot)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")
