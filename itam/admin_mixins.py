"""Admin building blocks shared by every app (inventory-only ones live in inventory.admin_mixins)."""


class ReadOnlyAdminMixin:
    """Rows written only by services or history hooks (assignment history, audit log):
    viewable in the admin, never added, changed or deleted there, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
