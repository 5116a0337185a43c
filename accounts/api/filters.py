"""Filters of GET /users (API.md §3.2)."""
import django_filters

from accounts.choices import Role
from accounts.models import User
from itam.api.filters import BooleanFilter, FilterSet


class DirectoryFilterSet(FilterSet):
    """What a caller with role ``user`` may filter and sort the directory by: no e-mail,
    role or status, which the directory does not show."""

    keyword_fields = ("username", "display_name")
    ordering_fields = ("id", "username", "display_name", "created_at")
    default_ordering = ("-created_at",)

    class Meta:
        model = User
        fields = []


class UserFilterSet(DirectoryFilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = BooleanFilter()

    keyword_fields = ("username", "display_name", "email")
    ordering_fields = ("id", "username", "display_name", "role", "created_at")

    class Meta:
        model = User
        fields = ["role", "is_active"]
