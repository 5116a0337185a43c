"""Reading and writing xlsx workbooks as plain rows of cells (streamed XML in a zip).

Knows nothing about assets: the import/export services give it sheet titles, headers and
rows. Formula safety lives here, on both sides: text that a spreadsheet would run as a
formula is written as a quote-prefixed text cell (Excel's own "'=..." convention), and
formula cells in an uploaded file are reported, never evaluated.
"""
import datetime
import gc
import io
import itertools
import xml.etree.ElementTree as ET  # noqa: N817 (the usual name)
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.http import HttpResponse
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601, to_excel

from itam.errors import Conflict

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@")
UNREADABLE = "The file is not a readable .xlsx workbook."
# A 10 MB upload can unzip to gigabytes of sheet XML. The benchmark fleet is 35,010 rows
# and ~500,000 cells; anything beyond these is refused as soon as the reader gets there.
# A row counts every column up to its last cell (a cell at XFD is 16,384 of them); shared
# strings are counted and measured too (unused ones cost memory all the same); no sheet may
# use more columns than the widest sheet's 17 plus a margin.
MAX_ROWS = 200_000
MAX_CELLS = 5_000_000
MAX_STRINGS = 1_000_000  # shared strings: twice the fleet's cells
MAX_TEXT = 100_000_000  # characters of shared strings in all
MAX_COLUMNS = 64  # A to BL
TOO_BIG = "The workbook has more than {rows:,} rows or {cells:,} cells; split it into several files."


class WorkbookError(ValueError):
    """The upload is not a workbook we can read (not xlsx, corrupt, encrypted, ...)."""


MAX_CELL_TEXT = 32_767  # characters: the most a spreadsheet cell holds (Excel's limit)


class CellTooLong(Conflict):
    """A value to export is longer than a cell holds: refused rather than cut short."""


@dataclass
class SheetData:
    """One sheet: its title, row-1 headers and the data rows numbered as the spreadsheet shows them."""

    title: str
    headers: list
    rows: list = field(default_factory=list)  # [(row_number, [value, ...]), ...]
    # {(row_number, column index)} of formula cells; their value in ``rows`` is the cached result.
    formulas: set = field(default_factory=set)

    def columns(self, width):
        """The data rows' cells as ``width`` columns (lists), a short row's missing cells None."""
        padded = [values if len(values) >= width else values + [None] * (width - len(values))
                  for _, values in self.rows]
        columns = [list(column) for column in itertools.islice(zip(*padded), width)]
        return columns or [[] for _ in range(width)]


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

    Streams each sheet's XML with the C ElementTree parser and types each cell as openpyxl
    does (shared and inline strings, numbers, booleans, dates by their number format), with
    the least Python work per cell: several times faster than openpyxl's reader, which
    matters at fleet scale. Raises WorkbookError when the content is not a readable xlsx
    workbook.
    """
    data = fileobj.read() if hasattr(fileobj, "read") else fileobj
    try:
        with cyclic_gc_paused(), zipfile.ZipFile(io.BytesIO(data)) as archive:
            book_path = _part_path("", _relationships(archive, "_rels/.rels"), OFFICE_DOCUMENT) or "xl/workbook.xml"
            folder = book_path.rpartition("/")[0]
            rels = _relationships(archive, f"{folder}/_rels/{book_path.rpartition('/')[2]}.rels")
            budget = _Budget()
            strings_path = _part_path(folder, rels, SHARED_STRINGS)
            strings = _shared_strings(archive, strings_path, budget) if strings_path else []
            book = ET.fromstring(archive.read(book_path))
            dates = _date_styles(archive, _part_path(folder, rels, STYLES) or "xl/styles.xml", _epoch(book))
            sheets = {}
            for sheet in book.iter(f"{{{MAIN}}}sheet"):
                target = rels[sheet.get(f"{{{REL}}}id")][1]
                path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
                key = normalize_header(sheet.get("name"))
                if key in sheets:  # the importer finds sheets by this key: one would be ignored
                    raise WorkbookError(
                        f'The sheets "{sheets[key].title}" and "{sheet.get("name")}" have the same name apart from '
                        "case or spaces; keep one of them.")
                with archive.open(path) as stream:
                    sheets[key] = _read_sheet(sheet.get("name"), _ShortTexts(stream), strings, dates, budget)
            return sheets
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, IndexError, ValueError, TypeError, EOFError,
            OverflowError, OSError, ET.ParseError, NotImplementedError, RuntimeError) as exc:
        raise WorkbookError(UNREADABLE) from exc


@contextmanager
def cyclic_gc_paused():
    """Hold off Python's cyclic garbage collector for a bulk read or import.

    Reading and importing a fleet workbook allocate millions of objects (XML elements,
    cells, model instances, rows to insert) that stay alive until the end and form no
    cycles, so the collector's passes over the growing heap free nothing yet cost a third
    of the time. Reference counting still frees everything as usual; the collector runs
    again afterwards. A no-op when it is already off (nested use, or paused elsewhere).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = REL + "/officeDocument"
SHARED_STRINGS = REL + "/sharedStrings"
STYLES = REL + "/styles"
_ROW, _CELL, _VALUE, _FORMULA, _TEXT, _RUN, _INLINE, _ITEM = (
    f"{{{MAIN}}}{tag}" for tag in ("row", "c", "v", "f", "t", "r", "is", "si"))
_MAX_COLUMN = 16383  # XFD, the last column of a worksheet (0-based)
_ELEMENTS_PER_CELL = 8  # <c><v/></c> is 2, <c><is><t/></is></c> 3: room for rich text and a sheet's head
_MAX_ELEMENTS_PER_ROW = MAX_COLUMNS * 64


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
    if len(element) == 1 and element[0].tag == _TEXT:  # the usual shape
        return element[0].text or ""
    parts = [child.text or "" for child in element if child.tag == _TEXT]
    parts += [t.text or "" for run in element if run.tag == _RUN for t in run if t.tag == _TEXT]
    return "".join(parts)


def _shared_strings(archive, path, budget):
    """The shared strings, streamed: each is charged to ``budget`` as it is read, and the
    parsed items are dropped as they go, so a flood of strings is refused early."""
    strings = []
    with archive.open(path) as stream:
        events = ET.iterparse(_ShortTexts(stream), events=("start", "end"))
        _, root = next(events)
        for event, item in events:
            if event == "end" and item.tag == _ITEM:
                # openpyxl drops the escape of a literal "_x" (x005F_) in shared strings; so do we.
                text = _text(item).replace("x005F_", "")
                budget.spend_string(len(text))
                strings.append(text)
                root.clear()
    return strings


class _ShortTexts(io.RawIOBase):
    """A part's XML stream that refuses a run of text (between two tags) longer than any
    cell's text can be, before the parser gathers it into one string: a few hundred KB of
    zip can hold a string of hundreds of MB."""

    # 32,767 characters, each up to 8 bytes as a character reference (&#x10FFFF;).
    LIMIT = 8 * 32_767
    CHUNK = 64 * 1024  # less than LIMIT: a run too long always spans chunks, which `run` counts

    def __init__(self, stream):
        self.stream, self.run = stream, 0  # run: bytes since the last "<"

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.stream.read(min(len(buffer), self.CHUNK))
        first_tag = data.find(b"<")
        if first_tag < 0:
            self.run += len(data)
        else:
            if self.run + first_tag > self.LIMIT:
                raise WorkbookError(f"A cell holds more than {MAX_CELL_TEXT:,} characters.")
            self.run = len(data) - data.rfind(b"<") - 1
        if self.run > self.LIMIT:
            raise WorkbookError(f"A cell holds more than {MAX_CELL_TEXT:,} characters.")
        buffer[:len(data)] = data
        return len(data)


def _epoch(book):
    """The workbook's date system: 1900 (Windows) unless workbookPr says date1904."""
    properties = book.find(f"{{{MAIN}}}workbookPr")
    flag = None if properties is None else properties.get("date1904")
    return CALENDAR_MAC_1904 if flag and flag not in ("false", "f", "0") else WINDOWS_EPOCH


def _date_styles(archive, path, epoch):
    """{cell style index: converter} for the styles whose number format is a date, time or
    duration: numbers in such cells are read as openpyxl reads them (datetime, time,
    timedelta), by the same format rules."""
    try:
        root = ET.fromstring(archive.read(path))
    except KeyError:
        return {}
    custom = {int(f.get("numFmtId")): f.get("formatCode") for f in root.iter(f"{{{MAIN}}}numFmt")}
    cell_formats = root.find(f"{{{MAIN}}}cellXfs")
    converters = {}
    for index, xf in enumerate(() if cell_formats is None else cell_formats.iter(f"{{{MAIN}}}xf")):
        number_format = int(xf.get("numFmtId") or 0)
        code = custom[number_format] if number_format in custom else BUILTIN_FORMATS.get(number_format)
        if is_date_format(code):
            converters[index] = _date_converter(epoch, is_timedelta_format(code))
    return converters


def _date_converter(epoch, timedelta):
    def convert(serial):
        try:
            return from_excel(serial, epoch, timedelta=timedelta)
        except (OverflowError, ValueError):
            return "#VALUE!"  # openpyxl's value for a date serial out of range
    return convert


_COLUMNS = {}  # column letters -> 0-based index, filled as letters are met


def _column_index(ref):
    """0-based column of a cell reference such as ``AB12``."""
    letters = ref.rstrip("0123456789")
    index = _COLUMNS.get(letters)
    if index is None:
        index = -1
        for char in letters.upper():
            index = (index + 1) * 26 + ord(char) - 65
        if not 0 <= index <= _MAX_COLUMN or not letters.isalpha():
            raise ValueError(f"{ref!r} is not a cell reference.")
        _COLUMNS[letters] = index
    return index


class _Budget:
    """Rows, cells and shared strings left for the rest of a workbook (``MAX_ROWS``,
    ``MAX_CELLS``, ``MAX_STRINGS``, ``MAX_TEXT``)."""

    def __init__(self):
        self.rows, self.cells, self.strings, self.text = MAX_ROWS, MAX_CELLS, MAX_STRINGS, MAX_TEXT

    def spend(self, cells):
        self.rows -= 1
        self.cells -= cells
        if self.rows < 0 or self.cells < 0:
            raise WorkbookError(TOO_BIG.format(rows=MAX_ROWS, cells=MAX_CELLS))

    def spend_string(self, length):
        self.strings -= 1
        self.text -= length
        if self.strings < 0 or self.text < 0:
            raise WorkbookError(f"The workbook holds more than {MAX_STRINGS:,} texts or {MAX_TEXT:,} characters of "
                                "text; split it into several files.")


def _read_sheet(title, stream, strings, dates, budget):
    """The sheet's rows; a cell's value is typed as openpyxl types it (see ``read_workbook``).

    One pass over the row elements; everything per cell is kept to C-level lookups, since a
    fleet workbook has hundreds of thousands of cells. Every row element, blank or not, is
    charged to ``budget`` with every column up to its last cell (or, for a row padded with
    other elements, a cell per ``_ELEMENTS_PER_CELL`` of them); a cell beyond
    ``MAX_COLUMNS`` is refused before its row is widened to it.
    """
    sheet = SheetData(title=title, headers=[])
    rows, formulas = sheet.rows, sheet.formulas
    expected = 1
    elements = 0  # since the last row: the parser holds them all until the row ends
    for _, row in ET.iterparse(stream):
        if row.tag != _ROW:
            elements += 1
            if elements > _MAX_ELEMENTS_PER_ROW:
                raise WorkbookError(f"Sheet {title}: a row has more than {MAX_COLUMNS} columns.")
            continue
        if len(row) > MAX_COLUMNS:
            raise WorkbookError(f"Sheet {title}: a row has more than {MAX_COLUMNS} columns.")
        number = int(row.get("r") or expected)
        expected = number + 1
        values = []
        for cell in row.iter(_CELL):
            ref = cell.get("r")
            if ref:
                gap = _column_index(ref) - len(values)
                if gap > 0:
                    if gap + len(values) >= MAX_COLUMNS:
                        raise WorkbookError(
                            f"Sheet {title}: cell {ref} is beyond column {get_column_letter(MAX_COLUMNS)}; "
                            f"a sheet may use at most {MAX_COLUMNS} columns.")
                    values += [None] * gap
            kind = cell.get("t")
            if kind == "inlineStr":
                inline = cell.find(_INLINE)
                value = None if inline is None else _text(inline)
            else:
                value = cell.findtext(_VALUE) or None
                if value is None:
                    pass
                elif kind is None or kind == "n":
                    value = float(value) if "." in value or "E" in value or "e" in value else int(value)
                    style = cell.get("s") if dates else None
                    if style and int(style) in dates:
                        value = dates[int(style)](value)
                elif kind == "s":
                    value = strings[int(value)]
                elif kind == "b":
                    value = bool(int(value))
                elif kind == "d":
                    value = from_ISO8601(value)
                # "str" (a formula's text result) and "e" (an error such as #N/A) stay text
            if cell.find(_FORMULA) is not None:
                formulas.add((number, len(values)))
            values.append(value)
        budget.spend(max(len(values), elements // _ELEMENTS_PER_CELL))
        elements = 0
        row.clear()
        if number == 1:
            sheet.headers = values
        elif not all(is_blank(value) for value in values):
            rows.append((number, values))
    return sheet


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def write_workbook(sheets):
    """xlsx bytes for ``[(title, headers, rows), ...]``; rows are iterables of cell values
    (text, numbers, booleans, naive dates/datetimes or None). Text longer than a cell holds
    raises CellTooLong (a Conflict: the export is refused, never silently cut).

    Writes the few XML parts of the package straight into the zip, each sheet streamed with
    inline strings: several times faster than openpyxl's cell objects at fleet scale, and
    read back the same by openpyxl and ``read_workbook``.
    """
    sheets = list(sheets)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as archive:
        for name, content in _package_parts([title for title, _, _ in sheets]):
            archive.writestr(name, content)
        for number, (title, headers, rows) in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as stream:
                try:
                    _write_sheet(stream, headers, rows)
                except _TextTooLong as exc:
                    ref, length = exc.args
                    raise CellTooLong(
                        f"Sheet {title}, cell {ref}: {length:,} characters, more than the {MAX_CELL_TEXT:,} a "
                        "spreadsheet cell holds. Shorten that value to export it.") from None
    return out.getvalue()


_ZIP_LEVEL = 1  # the XML is repetitive: fast deflate already shrinks it about tenfold
_ROWS_PER_WRITE = 500
# Cell styles (index into cellXfs of _STYLES): quote-prefixed text and the two date formats.
_QUOTED, _DATETIME, _DATE = 1, 2, 3
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _package_parts(titles):
    """(path, xml) of every part but the sheets: content types, relationships, workbook, styles."""
    sheet_overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>'
        for n in range(1, len(titles) + 1))
    yield "[Content_Types].xml", (
        f'{_XML_HEAD}<Types xmlns="{_PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheet_overrides}</Types>")
    yield "_rels/.rels", (
        f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="xl/workbook.xml"/></Relationships>')
    sheets = "".join(f'<sheet name="{escape(title, _QUOTE)}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, title in enumerate(titles, start=1))
    yield "xl/workbook.xml", (
        f'{_XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>')
    sheet_rels = "".join(f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                         for n in range(1, len(titles) + 1))
    styles_rel = f'<Relationship Id="rId{len(titles) + 1}" Type="{REL}/styles" Target="styles.xml"/>'
    yield "xl/_rels/workbook.xml.rels", (
        f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">{sheet_rels}{styles_rel}</Relationships>')
    yield "xl/styles.xml", _STYLES


_QUOTE = {'"': "&quot;"}


def _write_sheet(stream, headers, rows):
    stream.write(f'{_XML_HEAD}<worksheet xmlns="{MAIN}"><sheetData>'.encode())
    letters = []
    chunk = []
    for number, row in enumerate(itertools.chain([headers], rows), start=1):
        row = list(row)
        if len(letters) < len(row):
            letters = [get_column_letter(i) for i in range(1, len(row) + 1)]
        cells = [_cell_xml(f"{letter}{number}", value) for letter, value in zip(letters, row) if value is not None]
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) == _ROWS_PER_WRITE:
            stream.write("".join(chunk).encode())
            chunk = []
    chunk.append("</sheetData></worksheet>")
    stream.write("".join(chunk).encode())


# A literal carriage return is read back as a line feed (XML normalises line ends); the
# character reference keeps it.
_CR = {"\r": "&#13;"}


class _TextTooLong(Exception):
    pass


def _cell_xml(ref, value):
    """One ``<c>`` element, typed as openpyxl's write-only mode types the value."""
    if isinstance(value, str):
        # XML 1.0 cannot hold most control characters; a cell drops them rather than fail.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > MAX_CELL_TEXT:
            raise _TextTooLong(ref, len(value))
        if not value:
            return f'<c r="{ref}" t="inlineStr"/>'
        # Text a spreadsheet would run as a formula stays text, shown as text when edited.
        style = f' s="{_QUOTED}"' if value.startswith(FORMULA_TRIGGERS) else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(value, _CR)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}" t="n"><v>{value!r}</v></c>'
    if isinstance(value, (datetime.datetime, datetime.date)):
        if getattr(value, "tzinfo", None) is not None:
            raise TypeError("Excel has no time zones: write datetimes as naive UTC.")
        style = _DATETIME if isinstance(value, datetime.datetime) else _DATE
        return f'<c r="{ref}" s="{style}" t="n"><v>{to_excel(value)!r}</v></c>'
    raise TypeError(f"A workbook cell cannot hold {type(value).__name__} values.")


def utc_cell(value):
    """An aware datetime as a date cell holds it: naive UTC to the second (Excel has no time zones)."""
    return None if value is None else value.astimezone(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def xlsx_response(content, filename):
    """A workbook as a file download (the API's and the admin's exports)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
