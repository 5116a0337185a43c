"""Building blocks of the inventory ModelAdmins.

Every ModelAdmin derives from ``InventoryAdmin`` (history with revert). Extra behaviour is
a mixin placed in front of it, so adding import/export buttons or GPU actions to an admin
is a one-line change of its bases, e.g. ``class ServerAdmin(WorkbookButtonsMixin, InventoryAdmin)``.
"""
from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from itam.admin_access import AccessAdminMixin
from itam.admin_mixins import PluralTitleMixin, ReadableHistoryMixin, SafeRevertMixin, ServiceDeleteMixin, ServiceSaveMixin

from .models import Container
from .services import containers, crud


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


def changelist_url(model, **filters):
    """The admin list of ``model`` filtered by ``filters`` (lookups the list allows)."""
    query = "&".join(f"{lookup}={value}" for lookup, value in filters.items())
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{query}" if query else url


def count_column(annotation, description, model=None, lookup=None):
    """A sortable list_display column for a count annotated by the admin's queryset; with
    ``model`` and ``lookup`` (e.g. ``Server, "datacenter__id__exact"``) the count opens the
    list of ``model`` filtered to this row."""

    @admin.display(description=description, ordering=annotation)
    def column(obj):
        count = getattr(obj, annotation)
        if model is None:
            return count
        return format_html('<a href="{}">{}</a>', changelist_url(model, **{lookup: obj.pk}), count)

    column.__name__ = annotation
    return column


def object_link(obj, text=None):
    """A link to ``obj``'s change page, named by its label (``Server.label`` ...)."""
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else getattr(obj, "label", obj))


def link_column(path, description, ordering=None, text=None):
    """A list_display column linking to the object at ``path`` (``"server"``,
    ``"server__datacenter"``), labelled by its label or by ``text(obj)``; the admin's
    queryset selects the path, so the column costs no query."""

    @admin.display(description=description, ordering=ordering or path)
    def column(obj):
        target = obj
        for part in path.split("__"):
            target = getattr(target, part) if target is not None else None
        return object_link(target, text(target) if text and target is not None else None)

    column.__name__ = path
    return column


class OptionalPercentField(forms.FloatField):
    """A usage percentage left empty on a form means 0, the API's default (API.md §3.5)."""

    def to_python(self, value):
        value = super().to_python(value)
        return 0.0 if value is None else value


def save_object(obj, creator):
    """Save an object the admin's form (or inline row) has changed, through its service:
    owner = creator for new containers and services, a container's entry listing its mappings."""
    if isinstance(obj, Container):
        return containers.save_container(obj, creator=creator)
    return crud.save(obj, creator=creator)


USAGE_FIELDS = ("cpu_usage", "memory_usage", "disk_usage", "gpu_usage")


class InventoryAdmin(
    AccessAdminMixin, PluralTitleMixin, ReadableHistoryMixin, ServiceSaveMixin, ServiceDeleteMixin, SafeRevertMixin,
    SimpleHistoryAdmin,
):
    """Base of every ITAM ModelAdmin: the API's access rules (``access``, read-only or admin
    unless the admin names another), history and a revert that keep the rules, deletes
    through the API's service, pages sized for large fleets. Forms and inlines validate;
    the services write (``save_object``)."""

    list_per_page = 50
    list_max_show_all = 500

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in USAGE_FIELDS:  # reported by agents; optional when editing by hand
            kwargs.update(form_class=OptionalPercentField, required=False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user  # as SimpleHistoryAdmin.save_model does
        save_object(obj, creator=request.user)

    def save_formset(self, request, form, formset, change):
        """Inline rows through the services, as ``formset.save()`` would write them."""
        changed = formset.save(commit=False)
        for obj in formset.deleted_objects:  # first, as formset.save() does: a new row may take a freed place
            (containers.delete if isinstance(obj, Container) else crud.delete)(obj)
        for obj in changed:
            save_object(obj, creator=request.user)
        formset.save_m2m()
