"""The fast workbook writer (streamed XML, values rows) writes the cells the previous one
wrote (openpyxl write-only cells fed by model instances through ``Field.export``)."""
import datetime
import io

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from inventory.models import Datacenter
from inventory.resources import SHEET_RESOURCES
from inventory.services.exporting import export_workbook, querysets_for_all
from inventory.workbook import FORMULA_TRIGGERS, read_workbook, write_workbook
from tests.factories import (
    ContainerFactory,
    DatacenterFactory,
    EnvironmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
    UserFactory,
)


def previous_write_workbook(sheets):
    """The openpyxl write-only writer this module replaced, kept as the reference."""
    book = openpyxl.Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = book.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append([previous_safe_cell(ws, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def previous_safe_cell(ws, value):
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


def previous_export_rows(resource, queryset):
    """Model instances with their relations, sorted by natural key, through ``Field.export``."""
    objects = list(queryset)  # querysets_for_all already loads the relations (export_queryset)

    def key(obj):
        parts = []
        for path in resource.natural_key:
            value = obj
            for step in path.split("__"):
                value = getattr(value, step)
            parts.append(value.lower() if isinstance(value, str) else value)
        return tuple(parts)

    return [[col.export(obj) for col in resource.columns()] for obj in sorted(objects, key=key)]


def previous_export_workbook():
    querysets = querysets_for_all()
    sheets = []
    for resource_class in SHEET_RESOURCES:
        resource = resource_class()
        rows = previous_export_rows(resource, querysets[resource.report_key])
        sheets.append((resource.sheet, resource.headers(), rows))
    return previous_write_workbook(sheets)


def cells(content):
    """{title: [[(value, quote prefix, number format), ...], ...]} as openpyxl reads the file."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: [[(c.value, c.quotePrefix, c.number_format) for c in row] for row in ws.iter_rows()]
            for ws in book.worksheets}


@pytest.fixture
def awkward_fleet(db):
    """Formula-like text, unicode, control characters, IPv6, nulls, port mappings, booleans,
    and names whose case-insensitive order differs from their byte order."""
    owner = UserFactory(username="Zoë")
    north = DatacenterFactory(name="=cmd|' /C calc'!A0", location="Zürich 数据中心", description="tab\tand\x07bell",
                              is_active=False)
    south = DatacenterFactory(name="alpha", location=None, description="a & b < c > d \"quoted\" 'single'")
    DatacenterFactory(name="Beta", location="  spaced  ", description="line\nbreak")
    prod = EnvironmentFactory(code="prod")
    web = ServerFactory(name="web-01", datacenter=north, environment=prod, internal_ip="2001:db8::1",
                        external_ip=None, cpu_usage=35.5, memory_usage=0.0, cpu_cores=None, ssh_port=22,
                        responsible_person="+49 30 1234", description="@mention")
    ServerFactory(name="DB-01", datacenter=south, environment=prod, internal_ip="10.0.0.2",
                  external_ip="203.0.113.7", os_type="-", description="😀 emoji")
    ServerFactory(name="app", datacenter=south, environment=prod, internal_ip="10.0.0.3")
    nginx = ContainerFactory(server=web, name="nginx", owner=owner, assigned_user=None, cpu_limit=1.5,
                             memory_limit_mb=512, image="=HYPERLINK(\"http://x\")")
    PortMappingFactory(container=nginx, container_port=443, internal_port=20443, internal_ip="2001:db8::5",
                       external_ip="203.0.113.10", external_port=8443, protocol="udp", description="=évil")
    PortMappingFactory(container=nginx, container_port=22, internal_port=20022, description="ssh")
    ContainerFactory(server=web, name="Api", owner=UserFactory(username="bob"), image=None)
    ServiceFactory(container=nginx, name="nginx-443", port=443, version="1.0", health_check_url="http://[2001:db8::1]/")
    ServiceFactory(container=nginx, name="Nginx-80", port=None, service_type=None)
    GPUFactory(server=web, index=10, status="in_use", assigned_to=owner, gpu_usage=99.9)
    GPUFactory(server=web, index=2, model="A100 \x1b 80GB", description="")


def test_export_writes_the_cells_the_previous_exporter_wrote(awkward_fleet):
    ours = export_workbook(querysets_for_all())
    assert cells(ours) == cells(previous_export_workbook())
    # ... which the project's reader reads back as the same values.
    assert {title: [trimmed(row) for _, row in sheet.rows]
            for title, sheet in read_workbook(ours).items()} == {
        title.lower(): [trimmed([c[0] for c in row]) for row in rows[1:]] for title, rows in cells(ours).items()}


def trimmed(values):
    """Without the trailing empty cells openpyxl pads a row with to the sheet's width."""
    while values and values[-1] is None:
        values = values[:-1]
    return values


def test_awkward_values_come_out_typed_ordered_and_formula_safe(awkward_fleet):
    book = cells(export_workbook(querysets_for_all()))
    datacenters = [row[:4] for row in book["Datacenters"][1:]]
    assert [[value for value, _, _ in row] for row in datacenters] == [
        ["=cmd|' /C calc'!A0", "Zürich 数据中心", "tab\tandbell", False],
        ["alpha", None, "a & b < c > d \"quoted\" 'single'", True],
        ["Beta", "  spaced  ", "line\nbreak", True],
    ]
    assert datacenters[0][0][1] is True  # quote-prefixed: shown as text, never run
    server = book["Servers"][1]
    assert [value for value, _, _ in server[:5]] == ["=cmd|' /C calc'!A0", "web-01", "prod", "2001:db8::1", None]
    assert server[13][0] == 35.5 and server[14][0] == 0.0 and server[10][0] == 22
    assert server[12][:2] == ("+49 30 1234", True)
    containers = book["Containers"]
    assert [row[2][0] for row in containers[1:]] == ["Api", "nginx"]
    assert containers[2][-1][0] == (
        '[{"container_port": 22, "internal_ip": null, "internal_port": 20022, "external_ip": null, '
        '"external_port": null, "protocol": "tcp", "description": "ssh"}, '
        '{"container_port": 443, "internal_ip": "2001:db8::5", "internal_port": 20443, '
        '"external_ip": "203.0.113.10", "external_port": 8443, "protocol": "udp", "description": "=évil"}]')
    assert containers[1][-1][0] is None
    assert [row[3][0] for row in book["Services"][1:]] == ["nginx-443", "Nginx-80"]
    assert [(row[2][0], row[3][0]) for row in book["GPUs"][1:]] == [(2, "A100  80GB"), (10, "NVIDIA A100")]


def test_dates_numbers_and_blanks_match_the_previous_writer():
    moment = datetime.datetime(2026, 3, 1, 12, 30, 45)
    rows = [[moment, datetime.date(2026, 3, 1), 7, -2.25, 1e-7, True, False, None, "", "-1", "ok\x00\x1b"]]
    sheet = [("Audit Logs", [f"H{n}" for n in range(11)], rows)]
    ours = cells(write_workbook(sheet))
    assert ours == cells(previous_write_workbook(sheet))
    assert ours["Audit Logs"][1][0] == (moment, False, "yyyy-mm-dd h:mm:ss")


def test_timezone_aware_datetimes_are_refused_as_openpyxl_refused_them():
    aware = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(TypeError):
        write_workbook([("S", ["A"], [[aware]])])


def test_export_reads_two_queries_for_containers_and_one_per_other_sheet(awkward_fleet, django_assert_num_queries):
    with django_assert_num_queries(7):
        export_workbook(querysets_for_all())
    assert Datacenter.objects.count() == 3
