"""Query parameters of GET /audit-logs and /audit-logs/export (API.md §6.2)."""
import django_filters

from audit.choices import Action, ResourceType
from audit.models import AuditLog
from itam.api import filters
from itam.dates import midnight


class DayFilter(django_filters.DateFilter):
    """A `YYYY-MM-DD` calendar day in UTC, compared with ``created_at`` as a range (indexable);
    the calendar's last day ends at its last instant."""

    def __init__(self, *, last=False, **kwargs):
        super().__init__(field_name="created_at", input_formats=["%Y-%m-%d"], **kwargs)
        self.last = last

    def filter(self, qs, value):
        if value is None:
            return qs
        if self.last:  # inclusive: everything before the next day starts
            return qs.filter(created_at__lt=midnight(value, days_later=1))
        return qs.filter(created_at__gte=midnight(value))


class AuditLogFilter(filters.FilterSet):
    keyword_fields = ("resource_name", "username")
    ordering_fields = ("id", "created_at", "action", "resource_type", "username")
    default_ordering = ("-created_at",)

    user_id = filters.IdFilter(field_name="user_id")
    action = django_filters.ChoiceFilter(choices=Action.choices)
    resource_type = django_filters.ChoiceFilter(choices=ResourceType.choices)
    resource_id = filters.IdFilter(field_name="resource_id")
    request_id = django_filters.CharFilter(field_name="request_id")
    start_date = DayFilter()
    end_date = DayFilter(last=True)

    class Meta:
        model = AuditLog
        fields = []
