"""Admin building blocks shared by every app (inventory-only ones live in inventory.admin_mixins)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.text import capfirst
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from .errors import DomainError
from .persistence import delete_unreferenced


class ReadOnlyAdminMixin:
    """Rows written only by services or history hooks (assignment history, audit log):
    viewable in the admin, never added, changed or deleted there, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PluralTitleMixin:
    """A changelist is titled by what it lists ("Servers"), not "Select server to change"."""

    def changelist_view(self, request, extra_context=None):
        title = capfirst(self.model._meta.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})


EMPTY = "—"


class ReadableHistoryMixin:
    """For a ``SimpleHistoryAdmin``: its history page shows changes as people write them:
    a choice by its label (``Free → In use``), a related object by its name, nothing as
    ``—``. ``history_values`` maps a field name to a function of the related object (or raw
    value) for fields that read better another way (a GPU's holder by display name)."""

    history_values = {}

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record, self.history_values)


class ReadableChanges(HistoricalRecordContextHelper):
    def __init__(self, model, historical_record, history_values):
        super().__init__(model, historical_record)
        self.history_values = history_values

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            return EMPTY  # (simple_history reads an empty foreign key as a deleted object without pk)
        if change.field in self.history_values:
            return self.history_values[change.field](value)
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return value


class SafeRevertMixin:
    """For a ``SimpleHistoryAdmin``: a revert (``history/<id>/``) can only produce a state
    the API would accept. ``revert_keeps`` names fields a revert never restores (they keep
    their current values: e.g. a GPU's holder, which changes only through assign/release);
    the form then checks every rule the model states (constraints, including the ones on
    fields the form does not show) and that every object the version refers to still exists,
    and shows what fails as form errors instead of saving."""

    revert_keeps = ()
    revert_note = ""
    object_history_form_template = "admin/revert_form.html"

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request.itam_reverting = True
        extra_context = {**(extra_context or {}), "revert_note": self.revert_note}
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not getattr(request, "itam_reverting", False):
            return fields
        kept = [name for name in self.revert_keeps if self.model._meta.get_field(name).editable]
        return (*fields, *(name for name in kept if name not in fields))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not getattr(request, "itam_reverting", False):
            return form
        self.keep_current_values(obj)
        return type(form.__name__, (RevertChecks, form), {})

    def keep_current_values(self, obj):
        if not self.revert_keeps:
            return
        attnames = [obj._meta.get_field(name).attname for name in self.revert_keeps]
        current = type(obj)._default_manager.filter(pk=obj.pk).values(*attnames).first()
        for name, value in (current or {}).items():
            setattr(obj, name, value)


class RevertChecks:
    """Mixed into a revert's ModelForm (see SafeRevertMixin)."""

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        instance = self.instance
        for field in instance._meta.concrete_fields:
            if not (field.is_relation and field.many_to_one):
                continue
            value = getattr(instance, field.attname)
            target = field.related_model._base_manager.filter(**{field.target_field.attname: value})
            if value is not None and not target.exists():
                self.add_error(
                    field.name if field.name in self.fields else None,
                    f"The {field.verbose_name} this version refers to no longer exists; "
                    "revert to another version or edit the object instead.",
                )
        try:
            instance.validate_constraints()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)


class ServiceSaveMixin:
    """For a ModelAdmin whose saves go through services: a refusal the form could not
    foresee (``itam.errors.DomainError``: a concurrent writer took a unique value after the
    form's checks) rolls the save back (Django's transaction) and is shown as an error
    message on the same page, not a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            for message in exc.messages():
                self.message_user(request, f"Nothing was saved: {message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ServiceDeleteMixin:
    """For a ModelAdmin: deletes (the delete page and the "Delete selected" action) go
    through the same service as the API's DELETE (``delete_object``; by default
    ``itam.persistence.delete_unreferenced``), all or nothing, and a refusal
    (``itam.errors.DomainError``) is shown as an error message, not a 500.

    What the API deletes with its parent (an admin whose model sets ``deleted_with_parent``,
    e.g. a GPU's assignment history) needs no delete permission of its own: Django's
    confirmation page still lists it."""

    def delete_object(self, request, obj):
        delete_unreferenced(obj)

    def delete_model(self, request, obj):
        self.delete_object(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_object(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        with_parent = {model._meta.verbose_name for model, model_admin in self.admin_site._registry.items()
                       if getattr(model_admin, "deleted_with_parent", False)}
        return deleted, counts, perms_needed - with_parent, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)  # one transaction (Django's)
        except DomainError as exc:
            return self._refused(request, exc)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            action, name, description = actions["delete_selected"]
            actions["delete_selected"] = (self._all_or_nothing(action), name, description)
        return actions

    def _all_or_nothing(self, action):
        def delete_selected(modeladmin, request, queryset):
            try:
                with transaction.atomic():
                    return action(modeladmin, request, queryset)
            except DomainError as exc:
                self._refused(request, exc)
                return None
        return delete_selected

    def _refused(self, request, exc):
        for message in exc.messages():
            self.message_user(request, f"Nothing was deleted: {message}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())
