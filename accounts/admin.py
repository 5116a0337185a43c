"""Users in the Django admin: Django's UserAdmin fitted to ITAM's account model.

ITAM has no first/last name and no per-user permissions: ``role`` decides everything
(admins are staff and superusers, see ``User.save``), so the page shows role,
display name and e-mail instead. The account rules of ``accounts.services`` hold here as
in the API: a new password or a deactivation revokes the user's tokens and sessions, and
the last active admin can be neither demoted nor deactivated.
"""
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from simple_history.admin import SimpleHistoryAdmin

from itam import access
from itam.admin_access import AccessAdminMixin
from itam.admin_mixins import PluralTitleMixin, SafeRevertMixin, ServiceDeleteMixin
from itam.errors import DomainError

from . import services
from .models import User, UserPreference


PROFILE_FIELDS = ("username", "display_name", "email", "role", "is_active")


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "role")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User

    def clean(self):
        cleaned = super().clean()
        user = self.instance  # still the stored values: the form applies its data after clean()
        role, is_active = cleaned.get("role", user.role), cleaned.get("is_active", user.is_active)
        try:
            services.ensure_admin_remains(user, role, is_active)
        except DomainError as exc:
            raise ValidationError(exc.messages()) from None
        return cleaned


class PasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    def save(self, commit=True):
        services.revoke_all_tokens(self.user)
        return super().save(commit)


class UserPreferenceInline(admin.StackedInline):
    model = UserPreference
    can_delete = False
    extra = 0


def linked_list(objects, empty):
    """Links to the objects' admin pages, each named by its label (with its context)."""
    rows = [(reverse(f"admin:{o._meta.app_label}_{o._meta.model_name}_change", args=[o.pk]), getattr(o, "label", o))
            for o in objects]
    if not rows:
        return empty
    return format_html('<ul class="itam-links">{}</ul>', format_html_join("", '<li><a href="{}">{}</a></li>', rows))


@admin.register(User)
class UserAdmin(AccessAdminMixin, PluralTitleMixin, ServiceDeleteMixin, SafeRevertMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    access = access.ADMIN_ONLY
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("display_name", "email", "role")}),
        ("Status", {"fields": ("is_active", "last_login", "created_at")}),
        ("Holds", {"fields": ("held_gpus", "owned_containers", "used_containers")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "email", "role", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "created_at", "held_gpus", "owned_containers", "used_containers")
    list_display = ("username", "display_name", "email", "role", "is_active", "created_at", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    inlines = (UserPreferenceInline,)
    list_per_page = 50
    # A revert never brings an old password back (it changes through the password form only).
    revert_keeps = ("password",)
    revert_note = "Reverting never restores an old password."

    # What the user holds, through the inventory's reverse relations (accounts imports no
    # inventory module); each object by its label, read in one query per list.
    @admin.display(description="GPUs held")
    def held_gpus(self, user):
        return linked_list(user.gpus.select_related("server__datacenter"), "None held.")

    @admin.display(description="containers owned")
    def owned_containers(self, user):
        return linked_list(user.owned_containers.select_related("server__datacenter"), "None.")

    @admin.display(description="containers used")
    def used_containers(self, user):
        return linked_list(user.used_containers.select_related("server__datacenter"), "None.")

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # The API's write: last-admin rule (also checked by the form), tokens revoked on deactivation.
        stored = User.objects.get(pk=obj.pk)  # a revert's form starts from the old version: compare with the row
        changes = {name: getattr(obj, name) for name in PROFILE_FIELDS if getattr(obj, name) != getattr(stored, name)}
        services.update_user(stored, changes)
        obj.refresh_from_db()

    def has_autocomplete_permission(self, request):
        # Pickers (a container's assigned user) search the directory every user may read
        # (GET /users/options), not the user admin.
        return access.is_signed_in(request.user)

    def delete_object(self, request, obj):
        services.delete_user(obj, actor=request.user)  # the API's rules: not yourself, not the last admin, holds nothing


# ITAM's permissions come from the user's role, not from groups, and JWT revocation is
# managed through the account (password change, deactivation), not row by row.
admin.site.unregister(Group)
for _model in (BlacklistedToken, OutstandingToken):
    admin.site.unregister(_model)
