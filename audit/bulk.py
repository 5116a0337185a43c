"""Bulk writes that keep the audit trail: django-simple-history's bulk helpers plus one
``bulk_create`` of AuditLog rows, so a thousand rows cost a handful of queries, not a
thousand. Used by imports, seeding and batch operations; single saves need none of this
(the history hooks audit them)."""
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .choices import Action
from .models import AuditLog
from .recorder import current_action, diff, json_value, merge_extra_changes, new_entry, spec_for


def bulk_create_with_audit(model, objs, *, action=None, batch_size=1000):
    """Create ``objs`` (unsaved ``model`` instances) with their history and one audit entry each.

    Entries carry ``action`` (default: the ``audit_action`` in force, else ``create``), the
    current change context (user, IP, request id shared by the whole batch) and every
    audited field as ``{"old": None, "new": value}``; a container's ``_audit_extra_changes``
    (port mappings) is merged in. Models without entries of their own (port mappings, GPU
    assignments) get history only. Returns the created objects with their ids.
    """
    objs = list(objs)
    if not objs:
        return []
    spec = spec_for(model)
    with transaction.atomic():
        created = bulk_create_with_history(objs, model, batch_size=batch_size)
        if spec is not None:
            _write_entries(spec, created, Action(action or current_action(Action.CREATE)), None, batch_size)
    return created


def bulk_update_with_audit(model, objs, fields, *, action=None, old_values=None, batch_size=1000):
    """Save ``fields`` of ``objs`` (already changed in memory) with history and audit entries.

    ``old_values`` is ``{pk: {api_field: old_value}}`` captured before the objects were
    changed; when omitted the current database values are read in one query first. Only
    objects whose audited values differ get an entry (``action`` as for creates, else
    ``update``), holding just the changed fields. ``updated_at`` is moved to now for every
    object. Returns the number of rows updated.
    """
    objs = list(objs)
    if not objs:
        return 0
    spec = spec_for(model)
    fields = list(fields)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields) and "updated_at" not in fields:
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        fields.append("updated_at")
    with transaction.atomic():
        if old_values is None and spec is not None:
            old_values = _current_values(spec, model, [obj.pk for obj in objs])
        updated = bulk_update_with_history(objs, model, fields, batch_size=batch_size)
        if spec is not None:
            _write_entries(spec, objs, Action(action or current_action(Action.UPDATE)), old_values, batch_size)
    return updated


def _write_entries(spec, objs, action, old_values, batch_size):
    """One AuditLog row per object that changed, inserted together. ``old_values=None``: creates."""
    if spec.name_related:  # what the resource names read (a GPU's server), one query for all
        prefetch_related_objects(objs, *spec.name_related)
    entries = [_entry(spec, obj, action, None if old_values is None else old_values.get(obj.pk, {})) for obj in objs]
    AuditLog.objects.bulk_create([e for e in entries if e is not None], batch_size=batch_size)


def _current_values(spec, model, pks):
    api_names = {attr: api for api, attr in spec.fields.items()}
    rows = model._default_manager.filter(pk__in=pks).values("pk", *api_names)
    return {row.pop("pk"): {api_names[attr]: json_value(value) for attr, value in row.items()} for row in rows}


def _entry(spec, obj, action, old):
    """The entry for one object; for updates only over the fields ``old`` knows."""
    new = spec.values_of(obj)
    if old is not None:
        new = {field: value for field, value in new.items() if field in old}
    extra = obj.__dict__.pop("_audit_extra_changes", None)
    changes = merge_extra_changes(diff(spec, old, new), extra, created=old is None)
    return new_entry(spec, obj, action, changes=changes) if changes else None

