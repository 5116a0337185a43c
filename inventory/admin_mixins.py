"""Building blocks of the inventory ModelAdmins.

Every ModelAdmin derives from ``InventoryAdmin`` (history with revert). Extra behaviour is
a mixin placed in front of it, so adding import/export buttons or GPU actions to an admin
is a one-line change of its bases, e.g. ``class ServerAdmin(WorkbookButtonsMixin, InventoryAdmin)``.
"""
from django.contrib import admin
from django.template.loader import render_to_string
from simple_history.admin import SimpleHistoryAdmin

from itam.admin_access import AccessAdminMixin
from itam.admin_mixins import SafeRevertMixin, ServiceDeleteMixin, ServiceSaveMixin

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


def count_column(annotation, description):
    """A sortable list_display column for a count annotated by the admin's queryset."""

    @admin.display(description=description, ordering=annotation)
    def column(obj):
        return getattr(obj, annotation)

    column.__name__ = annotation
    return column


def save_object(obj, creator):
    """Save an object the admin's form (or inline row) has changed, through its service:
    owner = creator for new containers and services, a container's entry listing its mappings."""
    if isinstance(obj, Container):
        return containers.save_container(obj, creator=creator)
    return crud.save(obj, creator=creator)


class InventoryAdmin(AccessAdminMixin, ServiceSaveMixin, ServiceDeleteMixin, SafeRevertMixin, SimpleHistoryAdmin):
    """Base of every ITAM ModelAdmin: the API's access rules (``access``, read-only or admin
    unless the admin names another), history and a revert that keep the rules, deletes
    through the API's service, pages sized for large fleets. Forms and inlines validate;
    the services write (``save_object``)."""

    list_per_page = 50
    list_max_show_all = 500

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
