"""Server batch update and delete (API.md §9.2).

A batch runs in one transaction. Expected per-server problems (not found, a name clash in
the target datacenter, children left) land in ``failed`` and the rest still applies; any
other error propagates and rolls the whole batch back.
"""
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.choices import Action
from audit.bulk import bulk_update_with_audit
from audit.recorder import audit_action

from ..models import Server

SERVER_NOT_FOUND = "Server not found."
# Only the fields that take part in a constraint that the batch can break are checked.
_UNIQUE_NAME_FIELDS = {"name", "datacenter"}
_UNIQUE_NAME = next(c for c in Server._meta.constraints if c.name == "server_name_ci_unique_per_datacenter")


class BatchResult:
    def __init__(self, ids):
        self.ids, self.success, self.failed = ids, [], []

    def fail(self, pk, reason):
        self.failed.append({"id": pk, "reason": reason})

    def as_dict(self):
        return {"success": self.success, "failed": self.failed, "total": len(self.ids),
                "success_count": len(self.success), "failed_count": len(self.failed)}

    def message(self, verb):
        return f"Batch {verb} finished: {len(self.success)} of {len(self.ids)} succeeded."


def _locked_servers(ids, queryset=None):
    queryset = Server.objects.all() if queryset is None else queryset
    return queryset.select_for_update(of=("self",)).in_bulk(ids)


def _name_clash(server, claimed):
    """The unique-name message when ``server`` would clash with a stored server or with one
    moved earlier in this batch, else None (and its name is claimed)."""
    key = (server.name.lower(), server.datacenter_id)
    if key in claimed:
        return _UNIQUE_NAME.violation_error_message
    exclude = {f.name for f in Server._meta.concrete_fields} - _UNIQUE_NAME_FIELDS
    try:
        server.validate_constraints(exclude=exclude)
    except ValidationError as exc:
        return exc.messages[0]
    claimed.add(key)
    return None


def batch_update_servers(ids, changes):
    """Set ``changes`` (model attribute -> validated value) on each server in ``ids``; one
    bulk update with its history and one ``batch_update`` audit entry per changed server."""
    result = BatchResult(ids)
    moving = "datacenter" in changes
    claimed, changed = set(), []
    with transaction.atomic():
        servers = _locked_servers(ids)
        for pk in ids:
            server = servers.get(pk)
            if server is None:
                result.fail(pk, SERVER_NOT_FOUND)
                continue
            for attr, value in changes.items():
                setattr(server, attr, value)
            clash = _name_clash(server, claimed) if moving else None
            if clash:
                result.fail(pk, clash)
                continue
            changed.append(server)
            result.success.append(pk)
        bulk_update_with_audit(Server, changed, [Server._meta.get_field(name).attname for name in changes],
                               action=Action.BATCH_UPDATE)
    return result


def _plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _children_left(server):
    parts = [_plural(n, noun) for n, noun in ((server.container_count, "container"), (server.gpu_count, "GPU")) if n]
    if not parts:
        return None
    pronoun = "it" if server.container_count + server.gpu_count == 1 else "them"
    return f"Server has {' and '.join(parts)}; delete {pronoun} first."


def batch_delete_servers(ids):
    """Delete each server in ``ids`` that has no containers and no GPUs (no cascade);
    each deleted server gets a ``batch_delete`` audit entry with its snapshot."""
    result = BatchResult(ids)
    with transaction.atomic(), audit_action(Action.BATCH_DELETE):
        servers = _locked_servers(ids, Server.objects.with_counts())
        for pk in ids:
            server = servers.get(pk)
            children = _children_left(server) if server is not None else SERVER_NOT_FOUND
            if children:
                result.fail(pk, children)
            else:
                result.success.append(pk)
        if result.success:
            Server.objects.filter(pk__in=result.success).delete()
    return result
