"""/import-export (API.md §7): the template, the workbook import and the export.

Thin views: they check the request, call ``inventory.services.importing`` /
``exporting`` and wrap the answer (a file, or the report in the envelope).
"""
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from itam.api import fields
from itam.api.exceptions import error_response
from itam.api.filters import BIGINT_MAX, StrictBooleanField
from itam.api.permissions import IsAdmin

from ..services import exporting, importing
from ..workbook import XLSX_CONTENT_TYPE, WorkbookError, xlsx_response
from ..workbook import read_upload as read_upload_checked
from . import filters
from .reservation_views import GpuReservationFilter

LIST_FILTERS = {
    "datacenters": filters.DatacenterFilter,
    "servers": filters.ServerFilter,
    "containers": filters.ContainerFilter,
    "services": filters.ServiceFilter,
    "gpus": filters.GPUFilter,
    "reservations": GpuReservationFilter,
}


def strict_boolean(data, name):
    """``true``/``false``/``1``/``0`` (any case); absent or blank is False; else a 400 on ``name``."""
    try:
        return bool(StrictBooleanField(required=False).clean(data.get(name)))
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({name: exc.messages}) from None


def id_list(text):
    """``"1,2, 3"`` -> [1, 2, 3]; None when absent or blank; a 400 on ``ids`` when malformed."""
    if text is None or not text.strip():
        return None
    try:
        ids = [int(part) for part in text.split(",")] if fields.is_ascii_number_text(text) else None
    except ValueError:
        ids = None
    if not ids or any(not 1 <= i <= BIGINT_MAX for i in ids):  # a larger id cannot even be compared
        raise exceptions.ValidationError({"ids": ["Enter comma-separated positive integer ids, e.g. 1,2,3."]})
    return ids


# --- OpenAPI descriptions (the views build their answers by hand) ---

XLSX_FILE = {(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}
ROW_ERROR = inline_serializer("ImportRowError", {
    "sheet": serializers.CharField(), "row": serializers.IntegerField(),
    "column": serializers.CharField(allow_null=True), "message": serializers.CharField(),
})
SHEET_REPORT = inline_serializer("ImportSheetReport", {
    "created": serializers.IntegerField(), "updated": serializers.IntegerField(),
    "skipped": serializers.IntegerField(), "errors": ROW_ERROR.__class__(many=True),
})
IMPORT_REPORT = inline_serializer("ImportReport", {
    "dry_run": serializers.BooleanField(),
    **{key: SHEET_REPORT.__class__() for key in exporting.EXPORT_TYPES if key != "all"},
})
IMPORT_UPLOAD = inline_serializer("ImportUpload", {
    "file": serializers.FileField(help_text=".xlsx workbook, at most IMPORT_MAX_UPLOAD_BYTES (10 MB)"),
    "overwrite": serializers.BooleanField(required=False, help_text="update existing rows (default false)"),
    "dry_run": serializers.BooleanField(required=False, help_text="check and report only (default false)"),
})


class TemplateView(APIView):
    """GET /import-export/template (any user): the empty workbook with one example row per sheet."""

    @extend_schema(summary="The import template workbook", responses=XLSX_FILE)
    def get(self, request):
        return xlsx_response(exporting.template_workbook(owner=request.user), exporting.TEMPLATE_FILENAME)


class ImportView(APIView):
    """POST /import-export/import (admin): multipart ``file``, ``overwrite``, ``dry_run``."""

    permission_classes = [IsAdmin]

    @extend_schema(summary="Import a workbook (atomic)", request={"multipart/form-data": IMPORT_UPLOAD},
                   responses={200: IMPORT_REPORT, 400: IMPORT_REPORT})
    def post(self, request):
        overwrite = strict_boolean(request.data, "overwrite")
        dry_run = strict_boolean(request.data, "dry_run")
        sheets = read_upload(request.FILES.get("file"))
        report = importing.import_workbook(sheets, user=request.user, overwrite=overwrite, dry_run=dry_run)
        if not report.ok:
            return error_response(400, report.message, data=report.as_dict())
        response = Response(report.as_dict())
        response.message = report.message
        return response


def read_upload(upload):
    """The sheets of an uploaded workbook, or a 400 on ``file`` saying what is wrong with it."""
    try:
        return read_upload_checked(upload, settings.IMPORT_MAX_UPLOAD_BYTES)
    except WorkbookError as exc:
        raise exceptions.ValidationError({"file": [str(exc)]}) from None


class ExportView(APIView):
    """GET /import-export/export (admin): ``type``, ``ids`` and the list filters of that type."""

    permission_classes = [IsAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, enum=list(exporting.EXPORT_TYPES), description="Default all."),
            OpenApiParameter("ids", str, description="Comma-separated ids of that type (servers for type=all)."),
        ],
        description="A single type also takes the filters and ordering of that type's list.",
        responses=XLSX_FILE,
    )
    def get(self, request):
        export_type = (request.query_params.get("type") or "all").strip()
        if export_type not in exporting.EXPORT_TYPES:
            raise exceptions.ValidationError({"type": [f"Choose one of: {', '.join(exporting.EXPORT_TYPES)}."]})
        ids = id_list(request.query_params.get("ids"))
        if export_type == "all":
            content = exporting.export_workbook(exporting.querysets_for_all(server_ids=ids))
        else:
            queryset, ordered = self.filtered(request, export_type, ids)
            content = exporting.export_workbook({export_type: queryset}, ordered=ordered)
        return xlsx_response(content, exporting.export_filename(export_type))

    @staticmethod
    def filtered(request, export_type, ids):
        """The type's objects through its list filters; natural-key order unless ``ordering`` is given."""
        filterset_class = LIST_FILTERS[export_type]
        queryset = filterset_class._meta.model._default_manager.all()
        if ids is not None:
            queryset = queryset.filter(pk__in=ids)
        filterset = filterset_class(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError({k: list(v) for k, v in filterset.errors.items()})
        resource = exporting.RESOURCE_BY_KEY[export_type]()
        ordered = not (request.query_params.get("ordering") or "").strip()
        return resource.export_queryset(filterset.qs), ordered
