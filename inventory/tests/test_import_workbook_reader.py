"""The xlsx reader on what spreadsheet programs write: shared strings (rich text included),
sparse rows, typed cells, formulas, parts in other folders; every cell typed as openpyxl
types it (openpyxl is the reference the fast reader is compared with)."""
import datetime
import gc
import io
import zipfile

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from inventory.workbook import WorkbookError, read_workbook, restore_text

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_like_file(sheet_xml, shared_strings):
    """A workbook laid out as Excel does: shared strings, relative targets, a rels chain."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("_rels/.rels", f'<Relationships {RELS}><Relationship Id="rId1" Type="{REL}/officeDocument" '
                                  'Target="book/main.xml"/></Relationships>')
        z.writestr("book/main.xml", f'<workbook {MAIN} xmlns:r="{REL}"><sheets>'
                                    '<sheet name=" servers " sheetId="1" r:id="rId7"/></sheets></workbook>')
        z.writestr("book/_rels/main.xml.rels", f'<Relationships {RELS}>'
                   f'<Relationship Id="rId7" Type="{REL}/worksheet" Target="sheets/s1.xml"/>'
                   f'<Relationship Id="rId8" Type="{REL}/sharedStrings" Target="strings.xml"/></Relationships>')
        z.writestr("book/strings.xml", f"<sst {MAIN}>{shared_strings}</sst>")
        z.writestr("book/sheets/s1.xml", f"<worksheet {MAIN}><sheetData>{sheet_xml}</sheetData></worksheet>")
    return out.getvalue()


def test_reads_shared_strings_sparse_rows_and_typed_cells():
    strings = ("<si><t>Name</t></si><si><t>CPU Cores</t></si>"
               "<si><r><t>web</t></r><r><rPr><b/></rPr><t>-01</t></r><rPh><t>ignored</t></rPh></si>")
    sheet = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
             '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="C3"><v>16</v></c><c r="D3" t="b"><v>1</v></c>'
             '<c r="E3"><v>1.5E2</v></c><c r="F3" t="str"><f>A3</f><v>web-01</v></c></row>'
             '<row r="4"><c r="B4" t="inlineStr"><is><t>  </t></is></c></row>')
    sheets = read_workbook(excel_like_file(sheet, strings))
    assert list(sheets) == ["servers"]
    servers = sheets["servers"]
    assert servers.title == " servers "
    assert servers.headers == ["Name", None, "CPU Cores"]
    assert servers.rows == [  # the blank row 4 is left out; row numbers are the spreadsheet's
        (3, ["web-01", None, 16, True, 150.0, "web-01"]),
    ]
    assert servers.formulas == {(3, 5)}  # F3: its cached result is in the row, the importer refuses it


@pytest.mark.parametrize("content", [
    b"",
    b"PK\x03\x04 truncated",
    excel_like_file("<row r='1'><c r='A1' t='s'><v>9</v></c></row>", ""),  # a string index that is not there
    excel_like_file("<row><c>", ""),  # broken XML
])
def test_broken_files_are_unreadable(content):
    with pytest.raises(WorkbookError, match="^The file is not a readable .xlsx workbook.$"):
        read_workbook(content)


@pytest.mark.parametrize("text, restored", [
    ("'=1+1", "=1+1"), ("'@cmd", "@cmd"), ("'-5", "-5"), ("'+x", "+x"), ("'quoted'", "'quoted'"), ("'", "'"), (5, 5),
])
def test_the_literal_apostrophe_guard_is_undone(text, restored):
    assert restore_text(text) == restored


def test_writer_drops_characters_xml_cannot_hold_and_keeps_the_rest():
    from inventory.workbook import write_workbook

    content = write_workbook([("S", ["A", "B"], [["ok\x00\x1b text", "=\x07sum"]])])
    assert read_workbook(content)["s"].rows == [(2, ["ok text", "=sum"])]


# --- the reader types every cell as openpyxl does -------------------------------------------

def openpyxl_cells(content):
    """{sheet key: ({(row, column index): value}, {(row, column index) of formulas})} as
    openpyxl reads the file; empty cells left out, formulas apart (the importer refuses them)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    result = {}
    for ws in book.worksheets:
        values, formulas = {}, set()
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.add((cell.row, cell.column - 1))
                elif cell.value is not None:
                    values[(cell.row, cell.column - 1)] = cell.value
        result[ws.title.lower()] = (values, formulas)
    return result


def our_cells(content):
    """The same shape from ``read_workbook`` (headers are row 1)."""
    result = {}
    for key, sheet in read_workbook(content).items():
        values = {(1, i): v for i, v in enumerate(sheet.headers) if v is not None}
        for number, row in sheet.rows:
            values.update({(number, i): v for i, v in enumerate(row) if v is not None})
        result[key] = ({k: v for k, v in values.items() if k not in sheet.formulas}, sheet.formulas)
    return result


def typed(cells):
    """Values with their types, so that 1 and 1.0 or a date and a datetime differ."""
    return {key: ({pos: (type(v), v) for pos, v in values.items()}, formulas)
            for key, (values, formulas) in cells.items()}


def openpyxl_workbook(epoch=None):
    """Shared strings (rich text too), numbers, booleans, dates, times and durations by their
    number formats, error values, empty and sparse cells, formulas, as openpyxl writes them."""
    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    ws = book.active
    ws.title = "Mixed"
    ws.append(["Text", "Int", "Float", "Bool", "When", "Empty", "Formula"])
    ws.append(["  padded  ", 16, 1.5, True, datetime.datetime(2026, 3, 1, 12, 30, 45), None, "=B2*2"])
    ws.append(["Zürich 数据", -3, 1e-7, False, datetime.date(2026, 3, 1), "", "=A2"])
    ws.append(["a_x005F_b", 0, 1.5e300, None, datetime.time(7, 15), None, None])
    ws.append([None, None, None, None, datetime.timedelta(hours=30, minutes=5), None, None])
    ws.append([])
    ws.append(["#N/A", 2**40, -0.5, True, datetime.datetime(1904, 1, 2), None, None])
    ws["B9"], ws["C9"] = 42, 45000.5
    ws["B9"].number_format, ws["C9"].number_format = "dd/mm/yy", "[h]:mm"  # custom date and duration formats
    ws["A10"] = CellRichText(["web", TextBlock(InlineFont(b=True), "-01")])
    ws["D10"] = "=TRUE()"
    ws["E10"].value, ws["E10"].data_type = "#DIV/0!", "e"
    book.create_sheet("Second").append(["only", "headers"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904])
def test_cells_read_as_openpyxl_reads_them(epoch):
    content = openpyxl_workbook(epoch)
    ours = our_cells(content)
    assert typed(ours) == typed(openpyxl_cells(content))
    assert ours["mixed"][0][(2, 4)] == datetime.datetime(2026, 3, 1, 12, 30, 45)  # not its serial number
    assert ours["mixed"][1] == {(2, 6), (3, 6), (10, 3)}


def with_sheet_xml(sheet_data, shared_strings=""):
    """An openpyxl-made workbook whose first sheet's cells are ``sheet_data`` (raw XML), with
    a shared strings part holding the ``<si>`` items of ``shared_strings``."""
    strings_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    replaced = {
        "xl/worksheets/sheet1.xml": lambda xml: f"<worksheet {MAIN}><sheetData>{sheet_data}</sheetData></worksheet>",
        "[Content_Types].xml": lambda xml: xml.replace(
            "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{strings_type}"/></Types>'),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
            "</Relationships>", f'<Relationship Id="rId99" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                                "</Relationships>"),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(openpyxl_workbook()), "r") as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename in replaced:
                content = replaced[item.filename](content.decode()).encode()
            target.writestr(item, content)
        target.writestr("xl/sharedStrings.xml", f"<sst {MAIN}>{shared_strings}</sst>")
    return out.getvalue()


def test_hand_written_cells_read_as_openpyxl_reads_them():
    """What other programs write: shared strings (rich text, phonetic hints, escapes), inline
    strings (runs, empty), explicit types, ISO dates, error and formula-text cells, cells
    without references, empty values, sparse rows."""
    strings = ("<si><t>Name</t></si>"
               "<si><r><t>Zo</t></r><r><rPr><b/></rPr><t>ë</t></r><rPh sb='0' eb='1'><t>x</t></rPh></si>"
               "<si><t>a_x005F_x0041_b</t></si><si><t/></si>")
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="C1" t="s"><v>0</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><r><t>web</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 01 </t>'
        '</r></is></c><c r="B2" t="inlineStr"/><c r="C2" t="n"><v>7</v></c><c r="D2" t="b"><v>0</v></c>'
        '<c r="E2" t="d"><v>2026-03-01T12:30:00</v></c><c r="F2" t="e"><v>#N/A</v></c>'
        '<c r="G2" t="str"><f>A2</f><v>web 01 </v></c><c r="H2"><v></v></c><c r="J2" s="1"><v>2.5E-3</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c><c r="C3" t="s"><v>3</v></c></row>'
        '<row><c t="inlineStr"><is><t>no refs</t></is></c><c><v>3</v></c></row>'
        '<row r="9"><c r="AB9"><v>-12</v></c></row>'
    )
    content = with_sheet_xml(sheet, strings)
    ours = our_cells(content)
    assert typed(ours) == typed(openpyxl_cells(content))
    rows = read_workbook(content)["mixed"].rows
    assert rows[0][1][:5] == ["web 01 ", None, 7, False, datetime.datetime(2026, 3, 1, 12, 30)]
    assert rows[1:3] == [(3, ["Zoë", "a_x0041_b", ""]), (4, ["no refs", 3])]


def test_our_writer_reads_back_as_openpyxl_reads_it():
    from inventory.workbook import write_workbook

    rows = [["=1+1", 7, -2.25, True, None, datetime.datetime(2026, 3, 1, 12, 30, 45), datetime.date(2026, 3, 1), ""]]
    content = write_workbook([("S", [f"H{n}" for n in range(8)], rows)])
    assert typed(our_cells(content)) == typed(openpyxl_cells(content))


@pytest.mark.parametrize("ref", ["XFE2", "ABCDEFG2", "2", "A-2"])
def test_cell_references_outside_the_sheet_are_unreadable(ref):
    with pytest.raises(WorkbookError):
        read_workbook(with_sheet_xml(f'<row r="2"><c r="{ref}"><v>1</v></c></row>'))


def test_columns_pad_short_rows():
    from inventory.workbook import SheetData

    sheet = SheetData("S", ["A", "B", "C"], [(2, ["a", 1]), (3, ["b", 2, "x", "extra"]), (5, [])])
    assert sheet.columns(3) == [["a", "b", None], [1, 2, None], [None, "x", None]]
    assert SheetData("S", ["A"]).columns(2) == [[], []]
    assert sheet.rows[0] == (2, ["a", 1])  # the rows themselves are left as read


def test_reading_leaves_the_cyclic_collector_as_it_was():
    from inventory.workbook import cyclic_gc_paused

    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():  # nested: the outer one turns it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    read_workbook(openpyxl_workbook())
    with pytest.raises(WorkbookError):
        read_workbook(b"not a zip")
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
