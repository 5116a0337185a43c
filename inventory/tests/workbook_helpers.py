"""Helpers for the import/export tests: build workbooks, upload them, read files back."""
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.resources import SHEET_RESOURCES

HEADERS = {r.sheet: r().headers() for r in SHEET_RESOURCES}


def xlsx(sheets):
    """xlsx bytes for {title: [header row, row, ...]}; ``{"formula": "=1+1"}`` cells become formulas."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_for(sheet, *records):
    """[headers, row, ...] of ``sheet`` with the standard headers; records are {label: value}."""
    headers = HEADERS[sheet]
    labels = [h.rstrip("*") for h in headers]
    return [headers, *[[record.get(label) for label in labels] for record in records]]


def upload(api, content, name="inventory.xlsx", extra=None, **fields):
    """POST the workbook as multipart ``file`` with form ``fields``; ``extra``: request META."""
    data = {"file": SimpleUploadedFile(name, content), **fields}
    return api.client.post("/api/import-export/import", data, format="multipart", **(extra or {}))


def read_xlsx(content):
    """{sheet title: [[cell values of row 1], [row 2], ...]} (trailing empty cells kept)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def report(created=0, updated=0, skipped=0, errors=()):
    return {"created": created, "updated": updated, "skipped": skipped, "errors": list(errors)}


def empty_report(dry_run=False, **sheets):
    base = {"dry_run": dry_run, **{r.report_key: report() for r in SHEET_RESOURCES}}
    base.update(sheets)
    return base
