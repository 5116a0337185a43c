"""django-simple-history records -> AuditLog entries (API.md §6.3).

Every historical record written for an audited model becomes at most one AuditLog row in
the same transaction, filled from the change context (``audit.context``). Nobody calls
this module to log a change; the history hooks do (``audit.signals``). Other code only
names the kind of change with ``audit_action`` and uses ``audit.bulk`` for bulk writes.
"""
import datetime
import decimal
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from itam.api.fields import format_datetime

from .choices import Action, ResourceType
from .context import get_context
from .models import AuditLog

HIDDEN = "***"
HISTORY_ACTIONS = {"+": Action.CREATE, "~": Action.UPDATE, "-": Action.DELETE}

_action: ContextVar[str | None] = ContextVar("itam_audit_action", default=None)


@contextmanager
def audit_action(action):
    """Record every change made inside the block with ``action`` instead of create/update/delete.

    ``action`` is one of ``audit.choices.Action`` (``batch_update``, ``batch_delete``,
    ``assign``, ``release``, ``import``). Usage::

        with audit_action(Action.ASSIGN):
            gpu.save()

    Blocks nest; the innermost wins. The entries still need a real change: an update that
    changes nothing writes no entry whatever the action.
    """
    token = _action.set(Action(action).value)
    try:
        yield
    finally:
        _action.reset(token)


def current_action(default):
    return _action.get() or default


@dataclass(frozen=True)
class AuditSpec:
    """How one model appears in the audit log.

    ``fields`` maps API field names to model attribute names: the fields whose changes are
    recorded (the writable API fields, plus the few that change through dedicated actions:
    GPU ``assigned_to``, ``owner_id``, ``sort_order``).
    """

    resource_type: str
    fields: dict
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


def _fields(*names, **renamed):
    return {**{name: name for name in names}, **renamed}


_SPECS = {
    "inventory.Datacenter": AuditSpec(ResourceType.DATACENTER, _fields("name", "location", "description", "is_active")),
    "inventory.Environment": AuditSpec(ResourceType.ENVIRONMENT, _fields("name", "code", "color", "sort_order")),
    "inventory.Server": AuditSpec(ResourceType.SERVER, _fields(
        "name", "datacenter_id", "environment_id", "internal_ip", "external_ip", "cpu_cores", "memory_gb",
        "disk_gb", "os_type", "cpu_usage", "memory_usage", "disk_usage", "status", "responsible_person",
        "description", "ssh_port", "ssh_user",
    )),
    "inventory.Container": AuditSpec(ResourceType.CONTAINER, _fields(
        "name", "server_id", "owner_id", "assigned_user_id", "purpose", "image", "container_id", "cpu_limit",
        "memory_limit_mb", "cpu_usage", "memory_usage", "status", "description", "sort_order",
    )),
    "inventory.Service": AuditSpec(ResourceType.SERVICE, _fields(
        "name", "container_id", "owner_id", "service_type", "port", "version", "status", "health_check_url",
        "description", "sort_order",
    )),
    "inventory.GPU": AuditSpec(ResourceType.GPU, _fields(
        "server_id", "model", "memory_gb", "index", "gpu_usage", "memory_usage", "status", "description",
        "sort_order", assigned_to="assigned_to_id",
    ), name_attr="display_name", name_related=("server",)),
    "accounts.User": AuditSpec(
        ResourceType.USER, _fields("username", "password", "display_name", "email", "role", "is_active"),
        name_attr="username", hidden=frozenset({"password"}),
    ),
}


def spec_for(model):
    """The AuditSpec of a model class, or None when its changes are not audited on their own
    (port mappings and GPU assignments are part of their container's / GPU's entry)."""
    return _SPECS.get(model._meta.label)


def audited_models():
    return [apps.get_model(label) for label in _SPECS]


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


def diff(spec, old, new):
    """``{field: {"old", "new"}}`` for the fields whose value differs; ``old=None`` is a create."""
    changes = {}
    for field, value in new.items():
        before = None if old is None else old.get(field)
        if old is not None and before == value:
            continue
        changes[field] = {"old": spec.shown(field, before), "new": spec.shown(field, value)}
    return changes


def ordered_changes(changes):
    """``changes`` with fields sorted and each as old-then-new, for people reading it
    (PostgreSQL's jsonb keeps no key order of its own)."""
    return {field: {"old": change.get("old"), "new": change.get("new")} for field, change in sorted(changes.items())}


def merge_extra_changes(changes, extra, created=False):
    """Add changes the model fields cannot see (a container's port mappings), dropping no-ops.
    On a create every value is new, so ``old`` is null as for the model fields."""
    for field, change in (extra or {}).items():
        old = None if created else change.get("old")
        if old != change.get("new"):
            changes[field] = {"old": old, "new": change.get("new")}
    return changes


def new_entry(spec, instance, action, changes=None, snapshot=None, name=None):
    """An unsaved AuditLog row for ``instance`` attributed to the current change context."""
    ctx = get_context()
    user = ctx.user
    return AuditLog(
        user_id=getattr(user, "pk", None),
        username=ctx.username,
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
        action=action,
        resource_type=spec.resource_type,
        resource_id=instance.pk,
        resource_name=name if name is not None else spec.name_of(instance),
        changes=changes or {},
        snapshot=snapshot or {},
    )


# --- deletes ---------------------------------------------------------------------------

def is_deletion_root(instance, origin):
    """True for the object a delete was asked for; False for objects removed by its cascade."""
    if isinstance(origin, QuerySet):
        return origin.model is type(instance)
    return origin is instance or origin is None


def prepare_delete(instance, origin):
    """Before anything is deleted: remember whether ``instance`` is the root of the delete and,
    if so, its name and full API representation (its children still exist now)."""
    spec = spec_for(type(instance))
    if spec is None:
        return
    instance._audit_root = is_deletion_root(instance, origin)
    if instance._audit_root:
        instance._audit_name = spec.name_of(instance)
        instance._audit_snapshot = snapshot_of(instance)


# --- the history hook ------------------------------------------------------------------

def previous_values(spec, history_instance):
    """The audited values of the record before ``history_instance``, or None when there is none
    (an object created before history was kept counts as new)."""
    model = type(history_instance)
    previous = (
        model.objects.filter(id=history_instance.id, history_id__lt=history_instance.history_id)
        .order_by("-history_id").first()
    )
    return None if previous is None else spec.values_of(previous)


def record(instance, history_instance):
    """Write the AuditLog entry for one historical record (or none: cascade, no-op update)."""
    spec = spec_for(type(instance))
    if spec is None:
        return None
    kind = history_instance.history_type
    action = current_action(HISTORY_ACTIONS[kind])
    if kind == "-":
        if not getattr(instance, "_audit_root", True):
            return None
        entry = new_entry(
            spec, instance, action,
            snapshot=getattr(instance, "_audit_snapshot", None), name=getattr(instance, "_audit_name", None),
        )
    else:
        old = None if kind == "+" else previous_values(spec, history_instance)
        changes = diff(spec, old, spec.values_of(history_instance))
        merge_extra_changes(changes, instance.__dict__.pop("_audit_extra_changes", None), created=old is None)
        if not changes:
            return None
        entry = new_entry(spec, instance, action, changes=changes)
    entry.save()
    return entry


# --- snapshots -------------------------------------------------------------------------

# The API serializer that represents each resource in full (its detail endpoint), imported
# lazily: the API modules import the models, and the recorder is loaded with the models.
SNAPSHOT_SERIALIZERS = {
    ResourceType.SERVER: "inventory.api.serializers.ServerDetailSerializer",
    ResourceType.CONTAINER: "inventory.api.serializers.ContainerDetailSerializer",
    ResourceType.SERVICE: "inventory.api.serializers.ServiceSerializer",
    ResourceType.GPU: "inventory.api.serializers.GPUSerializer",
    ResourceType.DATACENTER: "inventory.api.serializers.DatacenterSerializer",
    ResourceType.ENVIRONMENT: "inventory.api.serializers.EnvironmentSerializer",
    ResourceType.USER: "accounts.api.serializers.UserSerializer",
}


def snapshot_of(instance):
    """The full API representation of ``instance`` as its detail endpoint shows it."""
    spec = spec_for(type(instance))
    serializer = import_string(SNAPSHOT_SERIALIZERS[spec.resource_type])
    manager = type(instance)._default_manager
    if hasattr(manager, "for_detail"):  # load children the way the detail endpoint does
        instance = manager.for_detail().get(pk=instance.pk)
    return json_safe(serializer(instance).data)


def json_safe(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
