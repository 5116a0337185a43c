"""The admin's workbook pages: the whole-workbook page (import with a dry-run preview then
confirm, and export) and the per-model import/export buttons of django-import-export.

The same importer and exporter as the API (``inventory.services``). The uploaded file is
kept in django-import-export's temporary storage between preview and confirm; the confirm
form carries its name signed, so a posted name can never point at another file.
"""
import os

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import escape
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX
from import_export.results import Result, RowResult
from import_export.tmp_storages import TempFolderStorage

from itam.access import is_admin

from .resources import SHEET_RESOURCES
from .services import exporting, importing
from .workbook import (
    CellTooLong,
    SheetData,
    WorkbookError,
    guard_formula,
    is_blank,
    normalize_header,
    read_upload,
    read_workbook,
    xlsx_response,
)

SIGNING_SALT = "inventory.admin_workbook"
PREVIEW_MAX_AGE = 3600  # seconds a previewed file may wait for its confirmation


IMPORT_TYPES = {"created": RowResult.IMPORT_TYPE_NEW, "updated": RowResult.IMPORT_TYPE_UPDATE,
                "skipped": RowResult.IMPORT_TYPE_SKIP}


class AdminSheetResource:
    """django-import-export's own entry points over a sheet's columns (``inventory.resources``),
    for the per-model admin pages: one sheet is imported through the workbook importer."""

    @classmethod
    def get_display_name(cls):
        return cls.sheet

    def filter_export(self, queryset, **kwargs):
        return self.export_queryset(queryset)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        """A row for tablib formats (csv, json, xlsx): text a spreadsheet would run as a
        formula gets a leading apostrophe, which the importer strips again."""
        return [guard_formula(value) for value in super().export_resource(instance, selected_fields, **kwargs)]

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """Import one sheet through the workbook importer (overwrite on, as the admin's
        import updates existing rows) and answer with an import-export ``Result`` for its
        preview and confirm pages."""
        rows = [(number, list(row)) for number, row in enumerate(dataset, start=2)]
        sheet = SheetData(self.sheet, list(dataset.headers or []), [r for r in rows if not all(
            is_blank(value) for value in r[1])])
        report = importing.import_workbook({normalize_header(self.sheet): sheet}, user=kwargs.get("user"),
                                           overwrite=True, dry_run=dry_run)
        return self.as_result(report.sheets[self.report_key], sheet)

    def as_result(self, sheet_report, sheet):
        result = Result()
        result.diff_headers = [str(h) for h in sheet.headers]
        values = dict(sheet.rows)
        for number, outcome, obj in sheet_report.outcomes:
            row_result = RowResult()
            row_result.import_type = IMPORT_TYPES[outcome]
            row_result.object_repr = str(obj)
            row_result.object_id = obj.pk
            row_result.diff = ["" if value is None else escape(str(value)) for value in values[number]]
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        by_row = {}
        for error in sheet_report.errors:
            messages = by_row.setdefault(error["row"], {})
            messages.setdefault(error["column"] or NON_FIELD_ERRORS, []).append(error["message"])
        for number, messages in sorted(by_row.items()):
            cells = values.get(number, [])
            row = dict(zip(result.diff_headers, cells))
            result.append_invalid_row(number, row, DjangoValidationError(messages))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        return result


# Each sheet's Resource with the admin's entry points, built through the Resource metaclass.
# Same class name: import-export names the export form's fields after it (serverresource_name).
ADMIN_RESOURCE_BY_MODEL = {
    resource.model: type(resource)(resource.__name__, (AdminSheetResource, resource), {"__module__": __name__})
    for resource in SHEET_RESOURCES
}


class SheetImportExportMixin(ImportExportMixin):
    """Import/export buttons for a ModelAdmin whose model is a workbook sheet: its Resource,
    xlsx/csv/json, a preview with every row's errors, then confirm. Imports go through the
    workbook importer (``AdminSheetResource.import_data``), so they obey the same rules."""

    import_formats = export_formats = [XLSX, CSV, JSON]

    def get_resource_classes(self, request):
        return [ADMIN_RESOURCE_BY_MODEL[self.model]]


class ImportForm(forms.Form):
    file = forms.FileField(label="Workbook (.xlsx)")
    overwrite = forms.BooleanField(required=False, help_text="Update existing rows instead of skipping them.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.sheets = read_upload(upload, settings.IMPORT_MAX_UPLOAD_BYTES)
        except WorkbookError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    overwrite = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_token(self):
        try:
            return signing.loads(self.cleaned_data["token"], salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
        except signing.BadSignature:
            raise forms.ValidationError("The preview has expired; upload the file again.") from None


class ExportForm(forms.Form):
    type = forms.ChoiceField(choices=[(t, t.title()) for t in exporting.EXPORT_TYPES], initial="all")


def admin_only(view):
    """Import and export are the admin's (API.md §2), though every account signs in."""
    def checked(request, *args, **kwargs):
        if not is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return checked


@admin_only
def workbook_view(request):
    """GET: the import and export forms. POST: preview (dry run) or confirm an import."""
    context = {"export_form": ExportForm(), "import_form": ImportForm()}
    if request.method == "POST" and "token" in request.POST:
        return confirm(request, context)
    if request.method == "POST":
        form = context["import_form"] = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            return preview(request, form, context)
    return render(request, "admin/inventory/workbook_import.html", context, "Import / export workbook")


def preview(request, form, context):
    overwrite = form.cleaned_data["overwrite"]
    report = importing.import_workbook(form.sheets, user=request.user, overwrite=overwrite, dry_run=True)
    if report.ok:
        storage = TempFolderStorage(read_mode="rb")
        form.cleaned_data["file"].seek(0)
        storage.save(form.cleaned_data["file"].read())
        token = signing.dumps(os.path.basename(storage.name), salt=SIGNING_SALT)
        context["confirm_form"] = ConfirmForm(initial={"token": token, "overwrite": overwrite})
    context.update(report=report, rows=report_rows(report), overwrite=overwrite)
    return render(request, "admin/inventory/workbook_preview.html", context, "Import preview")


def confirm(request, context):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("token", ["The confirmation is invalid."])))
        return redirect("inventory_workbook")
    storage = TempFolderStorage(read_mode="rb", name=form.cleaned_data["token"])
    try:
        sheets = read_workbook(storage.read())
    except (OSError, WorkbookError):
        messages.error(request, "The previewed file is gone; upload it again.")
        return redirect("inventory_workbook")
    overwrite = form.cleaned_data["overwrite"]
    report = importing.import_workbook(sheets, user=request.user, overwrite=overwrite)
    if not report.ok:  # the data changed since the preview
        context.update(report=report, rows=report_rows(report), overwrite=overwrite)
        return render(request, "admin/inventory/workbook_preview.html", context, "Import preview")
    storage.remove()
    messages.success(request, report.message)
    return redirect("inventory_workbook")


@admin_only
def export_view(request):
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose what to export.")
        return redirect("inventory_workbook")
    export_type = form.cleaned_data["type"]
    try:
        content = exporting.export_workbook(exporting.querysets_for(export_type))
    except CellTooLong as exc:
        messages.error(request, exc.message)
        return redirect("inventory_workbook")
    return xlsx_response(content, exporting.export_filename(export_type))


def report_rows(report):
    """(sheet title, counts) per sheet for the preview table."""
    return [(r.sheet, report.sheets[r.report_key]) for r in SHEET_RESOURCES]


def render(request, template, context, title):
    return TemplateResponse(request, template, {**admin.site.each_context(request), "title": title, **context})


def urls(site):
    """The page's URL patterns under /admin/ (names ``inventory_workbook``, ``inventory_workbook_export``)."""
    return [
        path("inventory/workbook/", site.admin_view(workbook_view), name="inventory_workbook"),
        path("inventory/workbook/export/", site.admin_view(export_view), name="inventory_workbook_export"),
    ]
