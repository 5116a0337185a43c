"""Reading and writing xlsx workbooks as plain rows of cells (openpyxl, streaming modes).

Knows nothing about assets: the import/export services give it sheet titles, headers and
rows. Formula safety lives here, on both sides: text that a spreadsheet would run as a
formula is written as a quote-prefixed text cell (Excel's own "'=..." convention), and
formula cells in an uploaded file are reported, never evaluated.
"""
import io
import xml.etree.ElementTree as ET  # noqa: N817 (the usual name)
import zipfile
from dataclasses import dataclass, field
from typing import NamedTuple

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@")
UNREADABLE = "The file is not a readable .xlsx workbook."


class WorkbookError(ValueError):
    """The upload is not a workbook we can read (not xlsx, corrupt, encrypted, ...)."""


class Cell(NamedTuple):
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


def guard_formula(value):
    """The literal-apostrophe formula guard for text formats (csv, json): "=1+1" -> "'=1+1"."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore_text(value):
    """Undo the literal-apostrophe formula guard (``guard_formula``, and other tools'): "'=1+1" -> "=1+1"."""
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
    """{normalized sheet name: SheetData} for every sheet of an xlsx file (bytes or a file).

    Streams each sheet's XML with the C ElementTree parser: several times faster than
    openpyxl's reader, which matters at fleet scale. Raises WorkbookError when the content
    is not a readable xlsx workbook.
    """
    data = fileobj.read() if hasattr(fileobj, "read") else fileobj
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book_path = _part_path("", _relationships(archive, "_rels/.rels"), OFFICE_DOCUMENT) or "xl/workbook.xml"
            folder = book_path.rpartition("/")[0]
            rels = _relationships(archive, f"{folder}/_rels/{book_path.rpartition('/')[2]}.rels")
            strings_path = _part_path(folder, rels, SHARED_STRINGS)
            strings = _shared_strings(archive, strings_path) if strings_path else []
            sheets = {}
            for sheet in ET.fromstring(archive.read(book_path)).iter(f"{{{MAIN}}}sheet"):
                target = rels[sheet.get(f"{{{REL}}}id")][1]
                path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
                with archive.open(path) as stream:
                    sheets[normalize_header(sheet.get("name"))] = _read_sheet(sheet.get("name"), stream, strings)
            return sheets
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, IndexError, ValueError, TypeError, EOFError,
            OSError, ET.ParseError, NotImplementedError, RuntimeError) as exc:
        raise WorkbookError(UNREADABLE) from exc


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = REL + "/officeDocument"
SHARED_STRINGS = REL + "/sharedStrings"
_ROW, _CELL, _VALUE, _FORMULA, _TEXT, _RUN, _INLINE = (
    f"{{{MAIN}}}{tag}" for tag in ("row", "c", "v", "f", "t", "r", "is"))


def _relationships(archive, path):
    """{id: (type, target)} of a .rels part ({} when the part is absent)."""
    try:
        root = ET.fromstring(archive.read(path))
    except KeyError:
        return {}
    return {rel.get("Id"): (rel.get("Type"), rel.get("Target")) for rel in root}


def _part_path(folder, rels, rel_type):
    for kind, target in rels.values():
        if kind == rel_type:
            return target.lstrip("/") if target.startswith("/") or not folder else f"{folder}/{target}"
    return None


def _text(element):
    """The text of a string item: plain ``<t>`` or rich-text runs (phonetic hints left out)."""
    parts = [child.text or "" for child in element if child.tag == _TEXT]
    parts += [t.text or "" for run in element if run.tag == _RUN for t in run if t.tag == _TEXT]
    return "".join(parts)


def _shared_strings(archive, path):
    with archive.open(path) as stream:
        return [_text(item) for item in ET.parse(stream).getroot()]


def _column_index(ref):
    """0-based column of a cell reference such as ``AB12``."""
    index = 0
    for char in ref:
        if char.isdigit():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


def _cell_value(cell, strings):
    kind = cell.get("t")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        return _text(inline) if inline is not None else ""
    raw = cell.findtext(_VALUE)
    if not raw:
        return None
    if kind == "s":
        return strings[int(raw)]
    if kind == "b":
        return raw.strip() == "1"
    if kind in ("str", "e", "d"):
        return raw
    return float(raw) if any(c in raw for c in ".eE") else int(raw)


def _read_sheet(title, stream, strings):
    sheet = SheetData(title=title, headers=[])
    expected = 1
    for _, row in ET.iterparse(stream):
        if row.tag != _ROW:
            continue
        number = int(row.get("r") or expected)
        expected = number + 1
        cells = []
        for cell in row.iter(_CELL):
            ref = cell.get("r")
            position = _column_index(ref) if ref else len(cells)
            cells.extend([Cell(None)] * (position - len(cells)))
            cells.append(Cell(_cell_value(cell, strings), cell.find(_FORMULA) is not None))
        row.clear()
        if number == 1:
            sheet.headers = [c.value for c in cells]
        elif any(not is_blank(c.value) for c in cells):
            sheet.rows.append((number, cells))
    return sheet


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


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
    if not isinstance(value, str):
        return value
    # XML 1.0 cannot hold most control characters; a cell drops them rather than fail.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, not a formula
        cell.quotePrefix = True  # and shown as text when edited in a spreadsheet
        return cell
    return value
