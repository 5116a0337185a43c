"""django-simple-history records -> AuditLog entries (API.md §6.3).

Every historical record written for an audited model becomes at most one AuditLog row in
the same transaction, filled from the change context (``audit.context``). Nobody calls
this module to log a change; the history hooks do (``audit.signals``). What each model's
entry holds is declared by the model's own app (``audit.registry``). Other code only names
the kind of change with ``audit_action``, adds what model fields cannot show with
``extra_changes`` and uses ``audit.bulk`` for bulk writes.
"""
import json
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from .choices import Action
from .context import get_context
from .events import Event, announce
from .models import AuditLog
from .registry import spec_for

HISTORY_ACTIONS = {"+": Action.CREATE, "~": Action.UPDATE}

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


# --- changes the model fields cannot see --------------------------------------------------

_extra: ContextVar[dict | None] = ContextVar("itam_audit_extra_changes", default=None)


@contextmanager
def extra_changes(pairs):
    """Inside the block, the entry recorded for each ``(instance, changes)`` of ``pairs`` also
    shows ``changes`` (``{field: {"old", "new"}}``, e.g. a ``PartSpec.change``): what its
    model fields cannot show, such as a container's port mappings. Instances are matched by
    identity, so an unsaved one can be named; each one's changes are recorded once.

        with extra_changes([(container, part_for(PortMapping).change(old, new))]):
            container.save()
    """
    current = _extra.get()
    token = _extra.set({**(current or {}), **{id(obj): (obj, changes) for obj, changes in pairs}})
    try:
        yield
    finally:
        _extra.reset(token)


def take_extra_changes(instance):
    """The changes ``extra_changes`` gave for ``instance`` (None if none), consumed."""
    pending = _extra.get()
    item = pending.get(id(instance)) if pending else None
    if item is None or item[0] is not instance:
        return None
    del pending[id(instance)]
    return item[1]


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


def record_delete(instance, origin):
    """Before anything is deleted (``pre_delete``, inside the delete's transaction): the entry
    of the object the delete was asked for, with its name and full representation while its
    children still exist. Objects removed by its cascade are covered by that snapshot."""
    spec = spec_for(type(instance))
    if spec is None or not is_deletion_root(instance, origin):
        return None
    entry = new_entry(spec, instance, current_action(Action.DELETE), snapshot=snapshot_of(spec, instance))
    entry.save()
    announce([Event.of(entry)])
    return entry


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
    """Write the AuditLog entry for a create or update record (or none: no-op update).
    Deletes were recorded before the delete (``record_delete``)."""
    spec = spec_for(type(instance))
    kind = history_instance.history_type
    if spec is None or kind == "-":
        return None
    old = None if kind == "+" else previous_values(spec, history_instance)
    changes = diff(spec, old, spec.values_of(history_instance))
    merge_extra_changes(changes, take_extra_changes(instance), created=old is None)
    if not changes:
        return None
    entry = new_entry(spec, instance, current_action(HISTORY_ACTIONS[kind]), changes=changes)
    entry.save()
    announce([Event.of(entry)])
    return entry


# --- snapshots -------------------------------------------------------------------------

def snapshot_of(spec, instance):
    """The full representation of ``instance`` its app registered (its API detail), as JSON."""
    return json_safe(spec.snapshot(instance))


def json_safe(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
