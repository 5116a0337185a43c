"""Inventory changes that another deletion causes, recorded like any other change."""
from django.db.models.signals import pre_delete


def release_used_containers(sender, instance, **kwargs):
    """A deleted user's containers lose ``assigned_user``. The foreign key would null it in
    the database with no trace; here it is an update with history and audit entries (the
    deleting actor's), whether the user is deleted by the API, the admin or a script."""
    from audit.bulk import bulk_update_with_audit

    from .models import Container

    used = list(Container.objects.filter(assigned_user=instance))
    for container in used:
        container.assigned_user = None
    bulk_update_with_audit(Container, used, ["assigned_user"])


def connect():
    pre_delete.connect(release_used_containers, sender="accounts.User", dispatch_uid="inventory.release_used_containers")
