"""Issue 19 §1: crafted workbooks that once made the reader allocate hundreds of MB (a cell
at column XFD, millions of shared strings, one huge string) are refused with a 400 on
``file`` while the request stays within a small, fixed amount of memory."""
import tracemalloc
import zipfile
from io import BytesIO

import pytest

from inventory.models import Datacenter
from inventory.workbook import MAIN

from .workbook_helpers import upload

pytestmark = pytest.mark.django_db

MEMORY_BOUND = 48 * 1024 * 1024  # bytes; the old reader took 272 MB to 1.6 GB on these files

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_BOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
         '<sheet name="Datacenters" sheetId="1" r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet1.xml"/>'
              '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
              'Target="sharedStrings.xml"/></Relationships>')
_HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'


def crafted(sheet_rows=(), strings=()):
    """A minimal xlsx whose one sheet and shared strings are the given XML pieces (iterables,
    streamed into the zip so that the test itself stays small)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("xl/workbook.xml", _BOOK), ("xl/_rels/workbook.xml.rels", _BOOK_RELS)):
            archive.writestr(name, text)
        for name, head, pieces, tail in (
            ("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>{_HEADER_ROW}', sheet_rows,
             "</sheetData></worksheet>"),
            ("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">', strings, "</sst>"),
        ):
            with archive.open(name, "w") as stream:
                stream.write(head.encode())
                for piece in pieces:
                    stream.write(piece.encode())
                stream.write(tail.encode())
    return out.getvalue()


def far_column_rows(count):
    yield "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, count + 2))


def tiny_strings(count, per_write=100_000):
    return ("<si><t>x</t></si>" * per_write for _ in range(count // per_write))


def huge_text(megabytes, head, tail):
    yield head
    chunk = "a" * (1024 * 1024)
    for _ in range(megabytes):
        yield chunk
    yield tail


def one_huge_string(megabytes):
    return huge_text(megabytes, "<si><t>", "</t></si>")


def huge_inline_string(megabytes):
    return huge_text(megabytes, '<row r="2"><c r="A2" t="inlineStr"><is><t>', "</t></is></c></row>")


CRAFTED = {
    "12,000 rows with a cell at XFD": lambda: crafted(sheet_rows=far_column_rows(12_000)),
    "3 million tiny shared strings": lambda: crafted(strings=tiny_strings(3_000_000)),
    "one 300 MB shared string": lambda: crafted(strings=one_huge_string(300)),
    "one 300 MB inline string": lambda: crafted(sheet_rows=huge_inline_string(300)),
}
MESSAGES = {
    "12,000 rows with a cell at XFD": "Sheet Datacenters: cell XFD2 is beyond column BL; a sheet may use at most 64 columns.",
    "3 million tiny shared strings": "The workbook holds more than 1,000,000 texts or 100,000,000 characters of text; "
                                     "split it into several files.",
    "one 300 MB shared string": "A cell holds more than 32,767 characters.",
    "one 300 MB inline string": "A cell holds more than 32,767 characters.",
}


@pytest.mark.parametrize("case", CRAFTED)
def test_a_crafted_workbook_is_refused_within_a_small_memory_bound(admin_api, case):
    content = CRAFTED[case]()
    assert len(content) < 2 * 1024 * 1024  # a small upload, as in the probe
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        response = upload(admin_api, content)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"file": [MESSAGES[case]]}
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"
    assert not Datacenter.objects.exists()


def test_a_sheet_within_the_columns_and_strings_is_read(admin_api):
    rows = ['<row r="2"><c r="A2" t="s"><v>0</v></c><c r="BL2" t="s"><v>1</v></c></row>']
    content = crafted(sheet_rows=rows, strings=["<si><t>DC-1</t></si>", "<si><t>ignored</t></si>"])
    response = upload(admin_api, content)
    assert response.status_code == 200, response.json()
    assert list(Datacenter.objects.values_list("name", flat=True)) == ["DC-1"]
