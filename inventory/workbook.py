"""Reading and writing xlsx workbooks as plain rows of cells (openpyxl, streaming modes).

Knows nothing about assets: the import/export services give it sheet titles, headers and
rows. Formula safety lives here, on both sides: text that a spreadsheet would run as a
formula is written as a quote-prefixed text cell (Excel's own "'=..." convention), and
formula cells in an uploaded file are reported, never evaluated.
"""
import io
import zipfile
from dataclasses import dataclass, field

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@")
UNREADABLE = "The file is not a readable .xlsx workbook."


class WorkbookError(ValueError):
    """The upload is not a workbook we can read (not xlsx, corrupt, encrypted, ...)."""


@dataclass(frozen=True)
class Cell:
    value: object
    is_formula: bool = False


@dataclass
class SheetData:
    """One sheet: its title, row-1 headers and the data rows numbered as the spreadsheet shows them."""

    title: str
    headers: list
    rows: list = field(default_factory=list)  # [(row_number, [Cell, ...]), ...]


def normalize_header(text):
    """Header/sheet-name matching key: case-insensitive, `*` and surrounding spaces ignored."""
    return " ".join(str(text or "").replace("*", " ").split()).lower()


def restore_text(value):
    """Undo the literal-apostrophe formula guard some tools write ("'=1+1" -> "=1+1")."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def read_upload(upload, max_bytes):
    """The sheets of an uploaded workbook (a Django UploadedFile, or None when absent).

    Raises WorkbookError with a message for the person who uploaded it: no file, a name not
    ending in .xlsx (.xls included), more than ``max_bytes``, or not a readable workbook.
    """
    if upload is None:
        raise WorkbookError("No file was submitted.")
    if not upload.name.lower().endswith(".xlsx"):
        raise WorkbookError("Upload an Excel workbook whose name ends in .xlsx (.xls and other formats are not supported).")
    if upload.size > max_bytes:
        raise WorkbookError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    return read_workbook(upload)


def read_workbook(fileobj):
    """{normalized sheet name: SheetData} for every sheet of an xlsx file.

    Raises WorkbookError when the content is not a readable xlsx workbook.
    """
    data = fileobj.read() if hasattr(fileobj, "read") else fileobj
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError(UNREADABLE)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise WorkbookError(UNREADABLE) from exc
    try:
        return {normalize_header(ws.title): _read_sheet(ws) for ws in book.worksheets}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise WorkbookError(UNREADABLE) from exc
    finally:
        book.close()


def _read_sheet(ws):
    rows = ws.iter_rows()
    headers = []
    for first in rows:
        headers = [c.value for c in first]
        break
    sheet = SheetData(title=ws.title, headers=headers)
    for number, row in enumerate(rows, start=2):
        cells = [Cell(c.value, c.data_type == "f") for c in row]
        if any(c.value is not None and c.value != "" for c in cells):
            sheet.rows.append((number, cells))
    return sheet


def write_workbook(sheets):
    """xlsx bytes for ``[(title, headers, rows), ...]``; rows are iterables of cell values."""
    book = openpyxl.Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = book.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append([_safe_cell(ws, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe_cell(ws, value):
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, not a formula
        cell.quotePrefix = True  # and shown as text when edited in a spreadsheet
        return cell
    return value
