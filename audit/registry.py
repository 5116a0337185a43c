"""What the audit log stores for each model, as the model's own app declares it.

Audit sits below the apps: it imports none of them. Each app registers its models from its
``AppConfig.ready()`` (``inventory.auditing``, ``accounts.auditing``), the way NetBox's
models each own ``serialize_object``:

- ``register(model, AuditSpec(...))`` for a resource with entries of its own: the fields
  an entry records, its name and its full representation for delete snapshots;
- ``register_part(model, PartSpec(...))`` for a model recorded inside its parent's entry
  (a container's port mappings): how one of them appears in the parent's list.
"""
import datetime
import decimal
from dataclasses import dataclass
from typing import Callable

from django.db.models.signals import pre_delete

from itam.api.fields import format_datetime

HIDDEN = "***"


@dataclass(frozen=True)
class AuditSpec:
    """How one model appears in the audit log.

    ``fields`` maps API field names to model attribute names: the fields whose changes are
    recorded (the writable API fields, plus the few that change through dedicated actions:
    GPU ``assigned_to``, ``owner_id``, ``sort_order``). ``snapshot(instance)`` is the full
    representation a delete entry keeps (the resource's detail endpoint).
    """

    resource_type: str
    fields: dict
    snapshot: Callable
    name_attr: str = "name"
    hidden: frozenset = frozenset()
    name_related: tuple = ()  # relations the resource name reads

    def name_of(self, instance):
        return str(getattr(instance, self.name_attr))[:200]

    def values_of(self, obj):
        """API-named JSON values of ``obj`` (a model instance or a historical record)."""
        return {api: json_value(getattr(obj, attr)) for api, attr in self.fields.items()}

    def shown(self, field, value):
        return HIDDEN if field in self.hidden and value not in (None, "") else value


@dataclass(frozen=True)
class PartSpec:
    """A model whose rows are recorded as one field of their parent's entry: the parent's
    ``field`` changes from the list of ``represent(row)`` before to the list after."""

    field: str
    represent: Callable

    def change(self, old, new):
        """``{field: {"old", "new"}}`` between two lists of rows; ``old=None``: a new parent."""
        before = None if old is None else [self.represent(row) for row in old]
        return {self.field: {"old": before, "new": [self.represent(row) for row in new]}}


def fields(*names, **renamed):
    """An AuditSpec ``fields`` mapping: API names equal to attribute names, then renamed ones."""
    return {**{name: name for name in names}, **renamed}


_specs = {}
_parts = {}


def register(model, spec):
    """Audit ``model``'s changes as entries of their own (and their deletes with a snapshot)."""
    from . import signals  # noqa: PLC0415 - the signal handlers call back into the recorder

    _specs[model] = spec
    pre_delete.connect(signals.on_pre_delete, sender=model, dispatch_uid=f"audit.pre_delete.{model._meta.label}")


def register_part(model, spec):
    _parts[model] = spec


def spec_for(model):
    """The AuditSpec of a model class, or None when its changes have no entries of their own
    (port mappings and GPU assignments are part of their container's / GPU's entry)."""
    return _specs.get(model)


def part_for(model):
    return _parts[model]


def audited_models():
    return list(_specs)


def model_for(resource_type):
    """The model whose entries carry ``resource_type``, or None."""
    return next((model for model, spec in _specs.items() if spec.resource_type == resource_type), None)


def json_value(value):
    """A JSON value as the API shows it. ``""`` is null, as the API reads it (forms save ``""``
    for an empty optional field where the API saves null; neither is a change)."""
    if value == "":
        return None
    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value
