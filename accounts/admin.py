"""Users in the Django admin: Django's UserAdmin fitted to ITAM's account model.

ITAM has no first/last name and no per-user permissions: ``role`` decides everything
(admins are staff and superusers, see ``User.save``), so the page shows role,
display name and e-mail instead.
"""
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import User, UserPreference


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "role")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class UserPreferenceInline(admin.StackedInline):
    model = UserPreference
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("display_name", "email", "role")}),
        ("Status", {"fields": ("is_active", "last_login", "created_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "email", "role", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "created_at")
    list_display = ("username", "display_name", "email", "role", "is_active", "created_at", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    inlines = (UserPreferenceInline,)
    list_per_page = 50
