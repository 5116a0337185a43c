from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation

from audit.exporting import export_filename, export_workbook
from audit.models import AuditLog
from inventory.workbook import XLSX_CONTENT_TYPE, xlsx_response
from itam.api.compiled import CompiledReadMixin
from itam.api.permissions import IsAdmin

from .filters import AuditLogFilter
from .serializers import AuditLogDetailSerializer, AuditLogSerializer


class FirstRendererNegotiation(BaseContentNegotiation):
    """The file download answers whatever ``Accept`` says (browsers, curl); its errors stay JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditLogViewSet(CompiledReadMixin, viewsets.ReadOnlyModelViewSet):
    """The audit trail, read-only and for admins (API.md §6.2)."""

    permission_classes = [IsAdmin]
    filterset_class = AuditLogFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        queryset = AuditLog.objects.all()
        if self.action == "list":
            return queryset.defer("changes", "snapshot", "user_agent")
        return queryset

    def get_serializer_class(self):
        return AuditLogSerializer if self.action == "list" else AuditLogDetailSerializer

    @extend_schema(
        summary="The newest 10,000 matching entries as an xlsx file", filters=True,
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, url_path="export", content_negotiation_class=FirstRendererNegotiation)
    def export(self, request):
        content = export_workbook(self.filter_queryset(self.get_queryset()))
        return xlsx_response(content, export_filename())
