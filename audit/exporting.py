"""GET /audit-logs/export: the newest matching entries as an xlsx sheet (API.md §6.2)."""
import datetime
import json

from inventory.workbook import utc_cell, write_workbook

from .recorder import ordered_changes

MAX_ROWS = 10_000
SHEET = "Audit Logs"
HEADERS = (
    "Time (UTC)", "User", "IP Address", "Action", "Resource Type", "Resource ID", "Resource Name", "User Agent",
    "Changes",
)
COLUMNS = (
    "created_at", "username", "ip_address", "action", "resource_type", "resource_id", "resource_name",
    "user_agent", "changes",
)


def newest(queryset):
    """The ``MAX_ROWS`` newest entries of ``queryset``, kept in the queryset's own order (one query)."""
    cut = queryset.order_by("-created_at", "-id").values("pk")[:MAX_ROWS]
    return queryset.filter(pk__in=cut)


def export_rows(queryset):
    """Cell values per entry, fetched in chunks; Excel has no time zones, so times are naive UTC."""
    for values in queryset.values_list(*COLUMNS).iterator(chunk_size=2000):
        created_at, *middle, changes = values
        yield [
            utc_cell(created_at),
            *middle,
            json.dumps(ordered_changes(changes), ensure_ascii=False),
        ]


def export_filename(now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return f"audit_logs_{now:%Y%m%d_%H%M%S}.xlsx"


def export_workbook(queryset):
    """xlsx bytes of the newest ``MAX_ROWS`` entries of ``queryset``, in its order."""
    return write_workbook([(SHEET, HEADERS, export_rows(newest(queryset)))])
