"""Building blocks of the inventory ModelAdmins.

Every ModelAdmin derives from ``InventoryAdmin`` (history with revert). Extra behaviour is
a mixin placed in front of it, so adding import/export buttons or GPU actions to an admin
is a one-line change of its bases, e.g. ``class ServerAdmin(ImportExportMixin, InventoryAdmin)``.
"""
from django.contrib import admin
from django.template.loader import render_to_string
from simple_history.admin import SimpleHistoryAdmin

from itam.admin_mixins import SafeRevertMixin, ServiceDeleteMixin


def badge(label, color):
    """A coloured pill, the same markup the dashboard uses (templates/itam/badge.html)."""
    return render_to_string("itam/badge.html", {"label": label, "color": color})


def status_badge(choices, field="status"):
    """A list_display column showing ``field`` as a badge coloured from ``choices.COLORS``."""

    @admin.display(description=field.replace("_", " "), ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return badge(choices(value).label, choices.color(value))

    column.__name__ = field  # names the column's CSS class: field-status
    return column


def count_column(annotation, description):
    """A sortable list_display column for a count annotated by the admin's queryset."""

    @admin.display(description=description, ordering=annotation)
    def column(obj):
        return getattr(obj, annotation)

    column.__name__ = annotation
    return column


class InventoryAdmin(ServiceDeleteMixin, SafeRevertMixin, SimpleHistoryAdmin):
    """Base of every ITAM ModelAdmin: history and a revert that keep the rules, deletes
    through the API's service, pages sized for large fleets."""

    list_per_page = 50
    list_max_show_all = 500


class OwnerIsCreatorMixin:
    """Containers and services belong to whoever creates them (API.md §3.6, §3.7).

    The admin keeps that rule: ``owner`` is read-only, and a new object (or a new row of an
    inline on this page) gets the signed-in user as its owner.
    """

    @staticmethod
    def _claim(obj, user):
        if obj.pk is None and hasattr(type(obj), "owner") and obj.owner_id is None:
            obj.owner = user

    def save_model(self, request, obj, form, change):
        self._claim(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            self._claim(inline_form.instance, request.user)
        super().save_formset(request, form, formset, change)
