"""Who may do what (API.md §2): the role and owner rules, stated once for every edge. The
API's permission classes (``itam.api.permissions``) and the admin (``itam.admin_access``)
both ask an ``Access`` of the resource; neither states a rule of its own.

A resource's access is one of:

- ``ADMIN_ONLY``         users, audit log, import/export, batch, GPU assign/release;
- ``READ_ONLY_OR_ADMIN`` datacenters, environments, servers, GPUs, GPU assignments: any
                         signed-in user reads, admins write;
- ``OwnerOrAdmin(...)``  containers, services (and port mappings, through their container):
                         any signed-in user reads and creates (and becomes the owner:
                         ``inventory.services.ownership``), the owner or an admin changes and
                         deletes.

``obj=None`` asks about the kind (may this user change some of them? the API before the
object lookup, the admin for its buttons and lists). Knows no app: a user is anything with
``is_authenticated``, ``is_active``, ``pk`` and ``role``.
"""
from operator import attrgetter

ADMIN_ROLE = "admin"


def is_signed_in(user):
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user):
    return is_signed_in(user) and getattr(user, "role", None) == ADMIN_ROLE


class Access:
    """Any signed-in user reads; admins write."""

    def may_view(self, user, obj=None):
        return is_signed_in(user)

    def may_add(self, user):
        return is_admin(user)

    def may_change(self, user, obj=None):
        return is_admin(user)

    def may_delete(self, user, obj=None):
        return self.may_change(user, obj)


class AdminOnlyAccess(Access):
    def may_view(self, user, obj=None):
        return is_admin(user)


class OwnerOrAdmin(Access):
    """Any signed-in user reads and adds; the owner (``owner``: the dotted attribute holding
    the owner's id) or an admin changes and deletes."""

    def __init__(self, owner="owner_id"):
        self.owner = owner
        self.owner_of = attrgetter(owner)

    def may_add(self, user):
        return is_signed_in(user)

    def may_change(self, user, obj=None):
        if is_admin(user):
            return True
        return is_signed_in(user) and (obj is None or self.owner_of(obj) == user.pk)

    def changeable(self, queryset, user):
        """The rows of ``queryset`` this user may change (pickers offer only those)."""
        if is_admin(user):
            return queryset
        if not is_signed_in(user):
            return queryset.none()
        return queryset.filter(**{self.owner.replace(".", "__"): user.pk})


ADMIN_ONLY = AdminOnlyAccess()
READ_ONLY_OR_ADMIN = Access()
OWNER_OR_ADMIN = OwnerOrAdmin()
