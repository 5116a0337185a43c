"""Drag-and-drop ordering of containers, services and GPUs (API.md §9.3)."""
from django.db import transaction

from audit.bulk import bulk_update_with_audit
from audit.choices import Action

CHUNK = 500  # ids per lookup, well below any database's parameter limit


def update_sort_order(model, items):
    """Apply ``[{"id": .., "sort_order": ..}, ...]`` to ``model`` in one transaction.

    Unknown ids are skipped; when an id is listed twice the last entry wins. Changed objects
    are written in bulk with their history and an ``update`` audit entry each. Returns the
    number of objects whose sort_order changed.
    """
    wanted = {item["id"]: item["sort_order"] for item in items}
    ids = sorted(wanted)
    changed = []
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            locked = model._default_manager.select_for_update(of=("self",)).filter(pk__in=ids[start:start + CHUNK])
            for obj in locked.order_by("pk"):
                if obj.sort_order != wanted[obj.pk]:
                    obj.sort_order = wanted[obj.pk]
                    changed.append(obj)
        bulk_update_with_audit(model, changed, ["sort_order"], action=Action.UPDATE)
    return len(changed)
