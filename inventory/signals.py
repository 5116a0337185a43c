"""Inventory changes that another deletion causes, recorded like any other change."""
from django.db.models import Q
from django.db.models.signals import post_save, pre_delete


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


def cancel_reservations_of_deleted_gpu(sender, instance, **kwargs):
    """A GPU about to go (deleted, or with its server) cancels its pending reservations, each
    an audited update by the deleting actor, before the cascade removes them with it."""
    from .services.reservations import cancel_for_deleted_gpus

    cancel_for_deleted_gpus(Q(gpu=instance))


def cancel_reservations_of_deactivated_user(sender, instance, **kwargs):
    """A deactivated user's pending reservations are cancelled (API, admin or script)."""
    if not instance.is_active and instance.pk is not None:
        from .services.reservations import cancel_for_deactivated_user

        cancel_for_deactivated_user(instance)


def connect():
    pre_delete.connect(release_used_containers, sender="accounts.User", dispatch_uid="inventory.release_used_containers")
    pre_delete.connect(cancel_reservations_of_deleted_gpu, sender="inventory.GPU",
                       dispatch_uid="inventory.cancel_reservations_of_deleted_gpu")
    post_save.connect(cancel_reservations_of_deactivated_user, sender="accounts.User",
                      dispatch_uid="inventory.cancel_reservations_of_deactivated_user")
