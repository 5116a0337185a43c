"""Role and ownership permissions (API.md §2). Authentication is checked first (401),
then the role (403); ownership is checked after the object lookup (404 before 403)."""
from rest_framework import permissions


def is_admin(user):
    return bool(user and user.is_authenticated and getattr(user, "role", None) == "admin")


class IsAdmin(permissions.BasePermission):
    message = "Administrator role required."

    def has_permission(self, request, view):
        return is_admin(request.user)


class ReadOnlyOrAdmin(permissions.BasePermission):
    """Any authenticated user may read; only admins write."""

    message = "Administrator role required."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or is_admin(request.user)


class IsOwnerOrAdmin(permissions.BasePermission):
    """Any authenticated user may read and create; changing an object needs its owner or an admin."""

    message = "Only the owner or an administrator may change this object."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS or is_admin(request.user):
            return True
        return getattr(obj, "owner_id", None) == request.user.pk
