"""The API's permission classes (API.md §2), asking the resource's access rules
(``itam.access``, shared with the admin). Authentication is checked first (401), then the
role (403); ownership is checked after the object lookup (404 before 403)."""
from rest_framework import permissions

from itam import access

# What a method does to a resource, for its access rules.
METHOD_RULE = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class AccessPermission(permissions.BasePermission):
    """Reads need ``may_view``, creates ``may_add``, updates and deletes ``may_change`` /
    ``may_delete`` (of the kind before the lookup, of the object after it)."""

    access = access.READ_ONLY_OR_ADMIN
    message = "Administrator role required."

    def allows(self, request, obj=None):
        user = request.user
        if request.method in permissions.SAFE_METHODS:
            return self.access.may_view(user, obj)
        rule = METHOD_RULE.get(request.method, "change")
        if rule == "add":
            return self.access.may_add(user) if obj is None else self.access.may_change(user, obj)
        return getattr(self.access, f"may_{rule}")(user, obj)

    def has_permission(self, request, view):
        return self.allows(request)

    def has_object_permission(self, request, view, obj):
        return self.allows(request, obj)


class IsAdmin(AccessPermission):
    access = access.ADMIN_ONLY


class ReadOnlyOrAdmin(AccessPermission):
    """Any authenticated user may read; only admins write."""


class IsOwnerOrAdmin(AccessPermission):
    """Any authenticated user may read and create; changing an object needs its owner or an admin."""

    access = access.OWNER_OR_ADMIN
    message = "Only the owner or an administrator may change this object."
