"""The plain writes of every inventory resource: create, update, delete. Resources with a
rule of their own have their own module with the same three functions (``containers``);
the API's viewsets call whichever their resource names as its ``service``.

Rules every resource shares: owner = creator (``ownership``), uniqueness as a conflict and
"still referenced" deletes as a conflict (``itam.persistence``).
"""
from itam.persistence import changes_anything, save_unique
from itam.persistence import delete_unreferenced

from .ownership import claim_for_creator


def create(model, values, *, creator=None):
    """A new ``model`` object from ``values`` (field name -> validated value), saved."""
    return save(model(**values), creator=creator)


def update(instance, values):
    """Apply ``values`` and save; values that change nothing save nothing (clients send back
    the whole object they received, and ``updated_at`` should not move for that)."""
    if not changes_anything(instance, values):
        return instance
    for name, value in values.items():
        setattr(instance, name, value)
    return save(instance)


def save(instance, *, creator=None):
    """Save ``instance`` as changed in memory (the admin's forms change it themselves)."""
    claim_for_creator(instance, creator)
    save_unique(instance)
    return instance


def delete(instance):
    delete_unreferenced(instance)


class Resource:
    """The plain writes of one model, in the shape the viewsets call: ``create(values,
    creator=)``, ``update(instance, values)``, ``delete(instance)``."""

    def __init__(self, model):
        self.model = model

    def create(self, values, *, creator=None):
        return create(self.model, values, creator=creator)

    update = staticmethod(update)
    delete = staticmethod(delete)
