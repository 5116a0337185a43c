"""GPU-hours from the assignment history (API.md §5, ``GET /gpus/utilization``).

One query fetches every assignment overlapping the window with the few columns the
grouping needs; one pass over those rows adds up the overlapping hours per group.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q

from itam.dates import midnight

from ..models import GPU, GPUAssignment

DEFAULT_DAYS = 30


def _gpu_name(row):
    return f"{row['model']} on {row['server_name']}"


# group_by -> (key column of the row, output key names, row -> output values)
GROUPINGS = {
    "user": ("user_id", ("user_id", "user_name"), lambda r: (r["user_id"], r["current_user_name"] or r["user_name"])),
    "gpu": ("gpu_id", ("gpu_id", "gpu_name"), lambda r: (r["gpu_id"], _gpu_name(r))),
    "server": ("server_id", ("server_id", "server_name"), lambda r: (r["server_id"], r["server_name"])),
    "model": ("model", ("model",), lambda r: (r["model"],)),
}
GROUP_BY_CHOICES = tuple(GROUPINGS)


def window_for(start_date=None, end_date=None, *, now):
    """Inclusive UTC days -> [start, end) datetimes. Missing bounds: the 30 days up to now
    (or up to the end of ``end_date``), from ``start_date`` up to now."""
    utc = now.tzinfo
    end = midnight(end_date, utc, days_later=1) if end_date else now
    if start_date:
        return midnight(start_date, utc), end
    try:
        return end - timedelta(days=DEFAULT_DAYS), end
    except OverflowError:
        return datetime.min.replace(tzinfo=utc), end


@dataclass
class _Group:
    values: tuple
    seconds: float = 0.0
    assignments: int = 0
    gpus: set = field(default_factory=set)


def gpu_utilization(start, end, *, now, group_by="user", datacenter_id=None):
    """Rows ``{<key fields>, gpu_hours, assignments, gpus}`` ordered by gpu_hours
    descending, then key. Each assignment counts the part of [assigned_at, released_at
    or now] that lies inside [start, end)."""
    key_column, names, values_of = GROUPINGS[group_by]
    assignments = GPUAssignment.objects.filter(Q(released_at__isnull=True) | Q(released_at__gt=start), assigned_at__lt=end)
    gpus = GPU.objects.all()
    if datacenter_id is not None:
        assignments = assignments.filter(gpu__server__datacenter_id=datacenter_id)
        gpus = gpus.filter(server__datacenter_id=datacenter_id)
    rows = assignments.order_by().values(
        "gpu_id", "user_id", "user_name", "assigned_at", "released_at",
        current_user_name=F("user__display_name"), server_id=F("gpu__server_id"),
        server_name=F("gpu__server__name"), model=F("gpu__model"),
    )

    groups = {}
    for row in rows:
        overlap = (min(row["released_at"] or now, end) - max(row["assigned_at"], start)).total_seconds()
        if overlap <= 0:
            continue  # an open assignment that starts after now
        # A deleted user's assignments (user_id null) group by the recorded name.
        key = row[key_column] if row[key_column] is not None else ("deleted", row["user_name"])
        group = groups.setdefault(key, _Group(values_of(row)))
        group.seconds += overlap
        group.assignments += 1
        group.gpus.add(row["gpu_id"])
    if group_by == "model":  # models without hours still show, with zeros
        for model in gpus.order_by().values_list("model", flat=True).distinct():
            groups.setdefault(model, _Group((model,)))

    result = [
        {**dict(zip(names, g.values)), "gpu_hours": round(g.seconds / 3600, 2),
         "assignments": g.assignments, "gpus": len(g.gpus)}
        for g in groups.values()
    ]
    key_name = names[0]

    def order(row):  # most hours first, then key; a deleted user (key null) last, by name
        key = row[key_name]
        return -row["gpu_hours"], key is None, key if key is not None else 0, row.get("user_name") or ""

    return sorted(result, key=order)
