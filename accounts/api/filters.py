"""Filters of GET /users (API.md §3.2)."""
import django_filters

from accounts.choices import Role
from accounts.models import User
from itam.api.filters import BooleanFilter, FilterSet, OrderingFilter


class DirectoryOrderingFilter(OrderingFilter):
    """Accepts the same names as the admin list, but ``role`` (not shown) does not sort."""

    def filter(self, qs, value):
        return super().filter(qs, [key for key in value if key.removeprefix("-") != "role"])


class DirectoryFilterSet(FilterSet):
    """What a caller with role ``user`` may filter the directory by: e-mail, role and status
    are not shown there, so they neither filter nor sort it."""

    keyword_fields = ("username", "display_name")
    ordering_fields = ("id", "username", "display_name", "role", "created_at")
    default_ordering = ("-created_at",)

    ordering = DirectoryOrderingFilter(label="Comma-separated fields, '-' prefix for descending.")

    class Meta:
        model = User
        fields = []


class UserFilterSet(DirectoryFilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = BooleanFilter()

    keyword_fields = ("username", "display_name", "email")
    ordering = OrderingFilter(label="Comma-separated fields, '-' prefix for descending.")

    class Meta:
        model = User
        fields = ["role", "is_active"]
