"""The admin's workbook pages: the whole-workbook page (import with a dry-run preview then
confirm, and export) and each sheet's list buttons (export that sheet, import on the page).

The same importer and exporter as the API (``inventory.services``). The preview lists, per
sheet, each row the import creates, updates (with its changes, old -> new) or leaves
unchanged, and each error with the cell's value and the row's name, all from the
importer's own plan (``ImportReport``). The uploaded file is kept in django-import-export's
temporary storage between preview and confirm; the confirm
form carries its name signed, so a posted name can never point at another file.
"""
import os

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.tmp_storages import TempFolderStorage

from itam.access import is_admin

from .resources import RESOURCE_BY_MODEL, SHEET_RESOURCES
from .services import exporting, importing
from .workbook import CellTooLong, WorkbookError, normalize_header, read_upload, read_workbook, xlsx_response

SIGNING_SALT = "inventory.admin_workbook"
PREVIEW_MAX_AGE = 3600  # seconds a previewed file may wait for its confirmation


class WorkbookButtonsMixin:
    """One workbook format everywhere (docs/API-NOTES.md "Admin import/export"): the list of a
    model that is a workbook sheet gets two buttons, for admins. **Export sheet** downloads
    the rows the list shows (its filters and search) as that sheet of the workbook, with the
    workbook's headers and encodings, so the file re-imports as is; **Import workbook** opens
    the workbook page, whose preview and confirm take any sheet of the workbook."""

    change_list_template = "admin/inventory/sheet_change_list.html"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        return [path("export/", self.admin_site.admin_view(self.export_sheet_view), name=name), *super().get_urls()]

    def export_sheet_view(self, request):
        if not is_admin(request.user):
            raise PermissionDenied
        try:
            shown = self.get_changelist_instance(request).queryset
        except IncorrectLookupParameters:
            messages.error(request, "The list's filters are not valid; nothing was exported.")
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        resource = RESOURCE_BY_MODEL[self.model]
        rows = resource().export_queryset(self.model._default_manager.filter(pk__in=shown.values("pk")))
        try:
            content = exporting.export_workbook({resource.report_key: rows})
        except CellTooLong as exc:
            messages.error(request, exc.message)
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return xlsx_response(content, exporting.export_filename(resource.report_key))

    def changelist_view(self, request, extra_context=None):
        if is_admin(request.user):
            export = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_export")
            extra_context = {**(extra_context or {}), "sheet_title": RESOURCE_BY_MODEL[self.model].sheet,
                             "sheet_export_url": f"{export}?{request.GET.urlencode()}".rstrip("?")}
        return super().changelist_view(request, extra_context)


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
    context.update(report=report, sheets=preview_sheets(report, form.sheets, overwrite), overwrite=overwrite)
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
        context.update(report=report, sheets=preview_sheets(report, sheets, overwrite), overwrite=overwrite)
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


PREVIEW_ROWS = 1000  # rows listed per sheet; the counts cover all of them


def preview_sheets(report, sheets, overwrite):
    """Per sheet of the workbook: its title, its counts and its rows in row order, each with
    its name (its natural key's cells), what the import does with it ("Created", "Updated"
    with its changes old -> new, "Unchanged" / "Skipped: exists") and its errors with the
    cell's value. Everything comes from the importer's report; the cells from the upload."""
    found = []
    skipped = "Unchanged" if overwrite else "Skipped: exists"
    outcome_labels = {"created": "Created", "updated": "Updated", "skipped": skipped}
    for resource_class in SHEET_RESOURCES:
        sheet = sheets.get(normalize_header(resource_class.sheet))
        if sheet is None:
            continue
        sheet_report = report.sheets[resource_class.report_key]
        cells = SheetCells(resource_class, sheet)
        rows = {}
        for outcome in sheet_report.outcomes:
            rows[outcome.row] = {"number": outcome.row, "name": cells.name(outcome.row), "errors": [],
                                 "outcome": outcome_labels[outcome.outcome], "kind": outcome.outcome,
                                 "changes": [(label, old, new) for label, (old, new) in outcome.changes.items()]}
        for error in sheet_report.errors:
            row = rows.setdefault(error["row"], {"number": error["row"], "name": cells.name(error["row"]),
                                                 "outcome": "Error", "kind": "error", "changes": [], "errors": []})
            row["outcome"], row["kind"] = "Error", "error"
            row["errors"].append({**error, "value": cells.value(error["row"], error["column"])})
        listed = sorted(rows.values(), key=lambda row: row["number"])
        found.append({"title": resource_class.sheet, "report": sheet_report, "skipped_label": skipped,
                      "rows": listed[:PREVIEW_ROWS], "more": max(0, len(listed) - PREVIEW_ROWS)})
    return found


class SheetCells:
    """The uploaded cells of one sheet, by row number and column label."""

    def __init__(self, resource_class, sheet):
        self.values = dict(sheet.rows)
        self.position = {}
        for index, header in enumerate(sheet.headers):
            self.position.setdefault(normalize_header(header), index)
        resource = resource_class()
        self.key_labels = [col.label for path in resource.natural_key
                           for col in resource.columns() if col.attribute == path]

    def value(self, number, label):
        index = self.position.get(normalize_header(label)) if label else None
        values = self.values.get(number, ())
        return values[index] if index is not None and index < len(values) else None

    def name(self, number):
        """'AMS1 / web-01 / nginx-01': the row's natural key as written."""
        parts = [self.value(number, label) for label in self.key_labels]
        return " / ".join(str(part) for part in parts if part not in (None, ""))


def render(request, template, context, title):
    return TemplateResponse(request, template, {**admin.site.each_context(request), "title": title, **context})


def urls(site):
    """The page's URL patterns under /admin/ (names ``inventory_workbook``, ``inventory_workbook_export``)."""
    return [
        path("inventory/workbook/", site.admin_view(workbook_view), name="inventory_workbook"),
        path("inventory/workbook/export/", site.admin_view(export_view), name="inventory_workbook_export"),
    ]
