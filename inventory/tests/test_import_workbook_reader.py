"""The xlsx reader on what spreadsheet programs write: shared strings (rich text included),
sparse rows, typed cells, formulas, parts in other folders."""
import io
import zipfile

import pytest

from inventory.workbook import Cell, WorkbookError, read_workbook, restore_text

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
        (3, [Cell("web-01"), Cell(None), Cell(16), Cell(True), Cell(150.0), Cell("web-01", True)]),
    ]


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
    assert read_workbook(content)["s"].rows == [(2, [Cell("ok text"), Cell("=sum")])]
