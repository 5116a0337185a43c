"""The admin asks the API's access rules (``itam.access``): ITAM has no per-user Django
permissions, a user's role and ownership decide, in the admin as in the API.

- the site admits every active account (``ITAMAdminSite.has_permission``); ``is_staff``
  only mirrors the admin role and is not read;
- a ModelAdmin names its resource's ``access`` (``AccessAdminMixin``): it then lists, shows,
  adds, changes and deletes exactly what the API lets the user do; an object the user may
  view but not change opens read-only;
- an inline follows the object it sits on (``AccessInlineMixin``): editable when that
  object may be changed;
- admin-only pages (workbook, GPU assign/release) ask ``is_admin`` or an admin-only
  ModelAdmin's permission.
"""
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

from . import access


class AccessAdminMixin:
    """For a ModelAdmin: its permissions are its resource's ``access`` rules."""

    access = access.READ_ONLY_OR_ADMIN
    admin_only_fields = ()  # fields only admins change (the API changes them through admin-only endpoints)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if access.is_admin(request.user):
            return fields
        return (*fields, *(name for name in self.admin_only_fields if name not in fields))

    def has_module_permission(self, request):
        return self.access.may_view(request.user)

    def has_view_permission(self, request, obj=None):
        return self.access.may_view(request.user, obj)

    def has_add_permission(self, request):
        return self.access.may_add(request.user)

    def has_change_permission(self, request, obj=None):
        return self.access.may_change(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return self.access.may_delete(request.user, obj)

    def get_deleted_objects(self, objs, request):
        # Django asks each related object's admin; the objects deleted directly must each
        # be deletable too (a user's "Delete selected" over others' containers is refused),
        # also when their admin waives the check for what goes with a parent.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not all(self.has_delete_permission(request, obj) for obj in objs):
            perms_needed = {*perms_needed, self.model._meta.verbose_name}
        return deleted, counts, perms_needed, protected

    def has_autocomplete_permission(self, request):
        """Whether pickers of other pages may search this model (``AccessAutocompleteView``)."""
        return self.has_view_permission(request)


class AccessInlineMixin:
    """For an inline: viewable with the page; added to, changed and deleted from only when
    the object it sits on (``obj``; None on an add page) may be changed, by that object's
    ``access`` (``parent_access``)."""

    parent_access = access.READ_ONLY_OR_ADMIN

    def has_view_permission(self, request, obj=None):
        return self.parent_access.may_view(request.user, obj)

    def _may_edit(self, request, obj):
        if obj is None:
            return self.parent_access.may_add(request.user)
        return self.parent_access.may_change(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


def mine_filter(field, title, label):
    """A list filter "<title>: <label>" keeping the rows whose ``field`` is the signed-in
    account (a user's own containers, the GPUs it holds)."""

    class MineFilter(admin.SimpleListFilter):
        parameter_name = f"{field}__mine"

        def lookups(self, request, model_admin):
            return [("1", label)]

        def queryset(self, request, queryset):
            return queryset.filter(**{f"{field}_id": request.user.pk}) if self.value() == "1" else queryset

    MineFilter.title = title
    return MineFilter


class AccessAutocompleteView(AutocompleteJsonView):
    """Pickers search a model when its admin allows it (``has_autocomplete_permission``):
    a user picks the user a container is assigned to from the directory the API shows them
    (``GET /users/options``) without seeing the user admin."""

    def has_perm(self, request, obj=None):
        allowed = getattr(self.model_admin, "has_autocomplete_permission", None)
        return allowed(request) if allowed else super().has_perm(request, obj)
