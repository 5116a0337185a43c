"""/import-export through the API (API.md §7): template, import report, bad files, export."""
import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from audit.models import AuditLog
from inventory.models import GPU, Container, Datacenter, GPUAssignment, GpuReservation, PortMapping, Server, Service
from inventory import workbook
from inventory.workbook import XLSX_CONTENT_TYPE
from tests.factories import (
    ContainerFactory,
    DatacenterFactory,
    EnvironmentFactory,
    GPUAssignmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
)

from .workbook_helpers import HEADERS, empty_report, read_xlsx, report, rows_for, upload, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def env(db):
    return EnvironmentFactory(code="prod", name="Production")


def server_record(**kw):
    return {"Datacenter": "DC-1", "Name": "web-01", "Environment": "prod", "Internal IP": "10.0.0.7", **kw}


def inventory_counts():
    return [m.objects.count() for m in (Datacenter, Server, Container, PortMapping, Service, GPU, GPUAssignment)]


# --- template ---------------------------------------------------------------------------

def test_template_is_a_workbook_of_every_sheet_any_user_may_download(user_api, env):
    response = user_api.get("/import-export/template")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="import_template.xlsx"'
    book = read_xlsx(response.content)
    assert list(book) == ["Datacenters", "Servers", "Containers", "Services", "GPUs", "Reservations"]
    assert {title: rows[0] for title, rows in book.items()} == HEADERS
    assert book["Servers"][1][:4] == ["DC-Example", "web-01", "prod", "10.0.0.7"]
    assert book["Containers"][1][:4] == ["DC-Example", "web-01", "nginx-01", "alice"]
    assert book["Reservations"][1][:4] == ["DC-Example", "web-01", 0, "alice"]
    assert all(len(rows) == 2 for rows in book.values())


def test_template_example_rows_import_cleanly(admin_api, env):
    content = admin_api.get("/import-export/template").content
    response = upload(admin_api, content)
    assert response.status_code == 200, response.json()
    one = report(created=1)
    assert response.json() == {
        "code": 0, "message": "Import finished: 6 created, 0 updated, 0 skipped.",
        "data": empty_report(datacenters=one, servers=one, containers=one, services=one, gpus=one, reservations=one),
    }
    container = Container.objects.get()
    assert (container.server.name, container.owner.username) == ("web-01", "admin")
    assert container.port_mappings.get().mapping_chain == "22 → 10.0.0.7:20022"
    booking = GpuReservation.objects.get()
    assert (booking.user.username, booking.status, booking.ends_at - booking.starts_at) == (
        "admin", "pending", timedelta(hours=8))


def test_template_needs_authentication(anon_api):
    response = anon_api.get("/import-export/template")
    assert response.status_code == 401
    assert response.json()["code"] == 401


# --- permissions ------------------------------------------------------------------------

def test_import_and_export_are_admin_only(user_api, anon_api):
    assert upload(user_api, b"x").status_code == 403
    assert user_api.get("/import-export/export").status_code == 403
    assert upload(anon_api, b"x").status_code == 401
    assert anon_api.get("/import-export/export").status_code == 401


def test_wrong_method_is_405_envelope_for_admins(admin_api, user_api):
    response = admin_api.get("/import-export/import")
    assert response.status_code == 405
    assert response.json() == {"code": 405, "message": 'Method "GET" not allowed.', "data": None}
    assert user_api.get("/import-export/import").status_code == 403


# --- the report -------------------------------------------------------------------------

def test_import_creates_skips_and_reports_with_one_audit_entry_per_row(admin_api, env):
    content = xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1", "Location": "Hall 2"}),
        "Servers": rows_for("Servers", server_record(), server_record(Name="web-02", **{"Internal IP": "10.0.0.8"})),
    })
    response = upload(admin_api, content, extra={"HTTP_X_REQUEST_ID": "import-req-1"})
    assert response.status_code == 200
    assert response.json() == {
        "code": 0, "message": "Import finished: 3 created, 0 updated, 0 skipped.",
        "data": empty_report(datacenters=report(created=1), servers=report(created=2)),
    }
    server = Server.objects.get(name="web-01")
    assert (server.datacenter.location, server.environment, server.status, server.ssh_port, server.ssh_user) == (
        "Hall 2", env, "online", 22, "root")
    entries = AuditLog.objects.filter(action="import").order_by("id")
    assert [(e.action, e.resource_type, e.resource_name, e.request_id, e.username) for e in entries] == [
        ("import", "datacenter", "DC-1", "import-req-1", "admin"),
        ("import", "server", "web-01", "import-req-1", "admin"),
        ("import", "server", "web-02", "import-req-1", "admin"),
    ]

    again = upload(admin_api, content)
    assert again.json()["message"] == "Import finished: 0 created, 0 updated, 3 skipped."
    assert again.json()["data"]["servers"] == report(skipped=2)
    assert AuditLog.objects.filter(action="import").count() == 3


def test_overwrite_updates_changed_rows_only_and_blank_cells_clear(admin_api, env):
    dc = DatacenterFactory(name="DC-1")
    ServerFactory(datacenter=dc, environment=env, name="web-01", internal_ip="10.0.0.7", os_type="Debian",
                  cpu_cores=16, memory_gb=64, disk_gb=500)
    ServerFactory(datacenter=dc, environment=env, name="web-02", internal_ip="10.0.0.8", os_type="Debian",
                  cpu_cores=8, memory_gb=32, disk_gb=100)
    content = xlsx({"servers": [
        ["Datacenter", "Name", "Environment", "Internal IP", "OS", "CPU Cores", "Memory (GB)", "Disk (GB)"],
        ["dc-1", "web-01", "Production", "10.0.0.7", "Debian", 16, 64, 500],  # unchanged (parents match any case)
        ["DC-1", "web-02", "prod", "10.0.0.9", None, "8", "32", "100"],  # new IP, OS cleared
    ]})
    response = upload(admin_api, content, overwrite="true")
    assert response.status_code == 200
    assert response.json()["data"]["servers"] == report(updated=1, skipped=1)
    assert response.json()["message"] == "Import finished: 0 created, 1 updated, 1 skipped."
    web02 = Server.objects.get(name="web-02")
    assert (web02.internal_ip, web02.os_type, web02.cpu_cores) == ("10.0.0.9", None, 8)
    entry = AuditLog.objects.get(action="import")
    assert (entry.resource_name, entry.changes) == ("web-02", {
        "internal_ip": {"old": "10.0.0.8", "new": "10.0.0.9"}, "os_type": {"old": "Debian", "new": None}})


def test_every_error_is_reported_and_nothing_is_written(admin_api, env, normal_user):
    before_audit = AuditLog.objects.count()
    content = xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1"}, {"Name": "DC-2", "Active": "maybe"}),
        "Servers": rows_for(
            "Servers",
            server_record(),
            server_record(Name="web-02", **{"Internal IP": "10.0.0.300", "SSH Port": 70000, "Status": "up"}),
            server_record(Name="web-01"),
            server_record(Name="web-03", Datacenter="DC-9", Environment="nope"),
            server_record(Name="bad name!", **{"CPU Cores": "many"}),
        ),
        "Containers": rows_for("Containers",
                               {"Datacenter": "DC-1", "Server": "ghost", "Name": "c1"},
                               {"Datacenter": "DC-1", "Server": "web-01", "Name": "c2", "Owner": "nobody",
                                "Port Mappings": '[{"container_port": 0, "internal_port": 1}]'}),
        "GPUs": rows_for("GPUs", {"Datacenter": "DC-1", "Server": "web-01", "Index": 0, "Model": "A100",
                                  "Memory (GB)": 80, "Status": "free", "Assigned To": "alice"}),
    })
    response = upload(admin_api, content)
    body = response.json()
    assert response.status_code == 400
    errors = [e for key in ("datacenters", "servers", "containers", "services", "gpus") for e in body["data"][key]["errors"]]
    assert body["message"] == f"Import failed: {len(errors)} errors; nothing was written."
    assert body["code"] == 400 and body["data"]["dry_run"] is False
    assert body["data"]["servers"]["created"] == 1  # what would have happened
    assert errors == [
        {"sheet": "Datacenters", "row": 3, "column": "Active", "message": "Must be TRUE or FALSE (also true/false, 1/0, yes/no)."},
        {"sheet": "Servers", "row": 3, "column": "Internal IP", "message": "Enter a valid IPv4 or IPv6 address."},
        {"sheet": "Servers", "row": 3, "column": "Status", "message": '"up" is not a valid choice.'},
        {"sheet": "Servers", "row": 3, "column": "SSH Port", "message": "Ensure this value is less than or equal to 65535."},
        {"sheet": "Servers", "row": 4, "column": None, "message": "Duplicate of row 2."},
        {"sheet": "Servers", "row": 5, "column": "Datacenter", "message": "Datacenter 'DC-9' does not exist."},
        {"sheet": "Servers", "row": 5, "column": "Environment", "message": "Environment 'nope' does not exist."},
        {"sheet": "Servers", "row": 6, "column": "Name", "message": "Use 1-64 characters: letters, digits, '.', '_' or '-'."},
        {"sheet": "Servers", "row": 6, "column": "CPU Cores", "message": "A valid integer is required."},
        {"sheet": "Containers", "row": 2, "column": None, "message": "Server 'ghost' does not exist in datacenter 'DC-1'."},
        {"sheet": "Containers", "row": 3, "column": "Port Mappings",
         "message": "Mapping 1, container_port: Ensure this value is greater than or equal to 1."},
        {"sheet": "Containers", "row": 3, "column": "Owner", "message": "User 'nobody' does not exist."},
        {"sheet": "GPUs", "row": 2, "column": "Status", "message": "A GPU assigned to a user must have status in_use."},
    ]
    assert inventory_counts() == [0] * 7
    assert AuditLog.objects.count() == before_audit


def test_bad_last_row_leaves_the_database_untouched(admin_api, env):
    dc = DatacenterFactory(name="DC-1")
    ServerFactory(datacenter=dc, environment=env, name="web-01", internal_ip="10.0.0.7")
    before, audit_before = inventory_counts(), AuditLog.objects.count()
    records = [server_record(Name=f"n-{i}", **{"Internal IP": f"10.1.0.{i}"}) for i in range(1, 20)]
    records.append(server_record(Name="last", **{"Internal IP": "not-an-ip"}))
    content = xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1", "Location": "moved"}, {"Name": "DC-2"}),
        "Servers": rows_for("Servers", server_record(**{"Internal IP": "10.9.9.9"}), *records),
    })
    response = upload(admin_api, content, overwrite="true")
    assert response.status_code == 400
    assert response.json()["data"]["servers"] == report(created=19, updated=1, errors=[
        {"sheet": "Servers", "row": 22, "column": "Internal IP", "message": "Enter a valid IPv4 or IPv6 address."}])
    assert inventory_counts() == before
    assert AuditLog.objects.count() == audit_before
    assert Datacenter.objects.get(name="DC-1").location == "Building A"
    assert Server.objects.get().internal_ip == "10.0.0.7"


def test_dry_run_reports_like_an_import_but_writes_nothing(admin_api, env):
    content = xlsx({"Datacenters": rows_for("Datacenters", {"Name": "DC-1"}), "Servers": rows_for("Servers", server_record())})
    response = upload(admin_api, content, dry_run="TRUE")
    assert response.status_code == 200
    assert response.json() == {
        "code": 0, "message": "Dry run finished: 2 created, 0 updated, 0 skipped; nothing was written.",
        "data": empty_report(dry_run=True, datacenters=report(created=1), servers=report(created=1)),
    }
    assert inventory_counts() == [0] * 7 and not AuditLog.objects.filter(action="import").exists()

    bad = xlsx({"Servers": rows_for("Servers", server_record())})
    response = upload(admin_api, bad, dry_run="1")
    assert response.status_code == 400
    assert response.json()["message"] == "Import failed: 1 error; nothing was written."
    assert response.json()["data"]["dry_run"] is True


def test_headers_and_sheet_names_match_loosely_and_values_in_any_spelling(admin_api, env):
    content = xlsx({
        "  DATACENTERS ": [["name *", "ACTIVE", "Unknown column"], ["DC-1", "no", "ignored"], [None, None, None]],
        "Notes": [["anything"], ["ignored"]],
        "servers": [
            ["internal ip*", "NAME*", " datacenter ", "environment", "cpu usage (%)", "ssh port", "External IP"],
            ["2001:DB8:0:0::1", "web-01", "DC-1", "PROD", "35.5", 2222.0, "  "],
        ],
    })
    response = upload(admin_api, content)
    assert response.status_code == 200, response.json()
    assert Datacenter.objects.get().is_active is False
    server = Server.objects.get()
    assert (server.internal_ip, server.cpu_usage, server.ssh_port, server.external_ip) == ("2001:db8::1", 35.5, 2222, None)


def test_missing_required_column_is_an_error_on_row_one(admin_api, env):
    content = xlsx({"Servers": [["Datacenter", "Name", "Internal IP"], ["DC-1", "web-01", "10.0.0.1"]]})
    response = upload(admin_api, content)
    assert response.status_code == 400
    assert response.json()["data"]["servers"]["errors"] == [
        {"sheet": "Servers", "row": 1, "column": "Environment", "message": "Required column is missing."}]


def test_formula_cells_are_errors_with_their_position(admin_api, env):
    content = xlsx({"Datacenters": [["Name", "Description"], ["DC-1", "=1+1"]]})
    response = upload(admin_api, content)
    assert response.status_code == 400
    assert response.json()["data"]["datacenters"]["errors"] == [
        {"sheet": "Datacenters", "row": 2, "column": "Description",
         "message": "Formulas are not allowed; enter the value itself."}]
    assert Datacenter.objects.count() == 0


# --- bad files --------------------------------------------------------------------------

def corrupt_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("inventory.xls", b"\xd0\xcf\x11\xe0 old excel",
     "Upload an Excel workbook whose name ends in .xlsx (.xls and other formats are not supported)."),
    ("inventory.csv", b"Name\nDC-1\n",
     "Upload an Excel workbook whose name ends in .xlsx (.xls and other formats are not supported)."),
    ("inventory.xlsx", b"just some text", "The file is not a readable .xlsx workbook."),
    ("inventory.xlsx", corrupt_zip(), "The file is not a readable .xlsx workbook."),
    ("inventory.xlsx", xlsx({"Datacenters": [["Name"]]})[:300], "The file is not a readable .xlsx workbook."),
])
def test_unreadable_uploads_are_400_and_write_nothing(admin_api, name, content, message):
    response = upload(admin_api, content, name=name)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": {"file": [message]}}
    assert not AuditLog.objects.filter(action="import").exists()


def test_missing_file_is_400(admin_api):
    response = admin_api.client.post("/api/import-export/import", {"overwrite": "true"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["No file was submitted."]}
    response = admin_api.post("/import-export/import", {"file": "x"})  # JSON body: no file part
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["No file was submitted."]}


@override_settings(IMPORT_MAX_UPLOAD_BYTES=1024 * 1024)
def test_upload_over_the_size_limit_is_400(admin_api):
    response = upload(admin_api, b"0" * (1024 * 1024 + 1))
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The file is larger than 1 MB."]}


@pytest.mark.parametrize("limit, value", [("MAX_ROWS", 4), ("MAX_CELLS", 9)])
def test_workbooks_beyond_the_row_or_cell_limit_are_400_and_write_nothing(admin_api, env, monkeypatch, limit, value):
    # A small zip can unzip to gigabytes of rows: the reader stops at its limits. Here a
    # header and 4 rows of 2 cells: within 5 rows and 10 cells, beyond 4 rows or 9 cells.
    content = xlsx({"Datacenters": [["Name", "Location"]] + [[f"DC-{n}", "Hall"] for n in range(4)]})
    monkeypatch.setattr(workbook, "MAX_ROWS", 5)
    monkeypatch.setattr(workbook, "MAX_CELLS", 10)
    assert upload(admin_api, content, dry_run="true").status_code == 200
    monkeypatch.setattr(workbook, limit, value)
    response = upload(admin_api, content)
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": [
        f"The workbook has more than {workbook.MAX_ROWS:,} rows or {workbook.MAX_CELLS:,} cells; split it into several files."]}
    assert inventory_counts() == [0] * 7


@pytest.mark.parametrize("field", ["overwrite", "dry_run"])
def test_flags_take_only_booleans(admin_api, env, field):
    response = upload(admin_api, xlsx({"Datacenters": rows_for("Datacenters", {"Name": "DC-1"})}), **{field: "maybe"})
    assert response.status_code == 400
    assert response.json()["errors"] == {field: ["Enter true, false, 1 or 0."]}
    assert Datacenter.objects.count() == 0


# --- GPUs and port mappings --------------------------------------------------------------

def test_gpu_assignee_change_closes_the_open_assignment_and_opens_a_new_one(admin_api, admin_user, normal_user,
                                                                            other_user, env):
    server = ServerFactory(name="gpu-01", datacenter=DatacenterFactory(name="DC-1"), environment=env)
    gpu = GPUFactory(server=server, index=0, status="in_use", assigned_to=normal_user)
    old = GPUAssignmentFactory(gpu=gpu, user=normal_user, user_name="Alice", assigned_by_name="x",
                                       assigned_at="2025-01-01T00:00:00Z", purpose="training")
    gpu_row = {"Datacenter": "DC-1", "Server": "gpu-01", "Index": 0, "Model": "NVIDIA A100", "Memory (GB)": 80}
    content = xlsx({"GPUs": rows_for("GPUs", {**gpu_row, "Assigned To": "BOB"})})
    response = upload(admin_api, content, overwrite="true")
    assert response.json()["data"]["gpus"] == report(updated=1)
    gpu.refresh_from_db()
    assert (gpu.assigned_to, gpu.status) == (other_user, "in_use")
    old.refresh_from_db()
    assert (old.release_reason, old.released_by, old.released_at is not None) == ("import", admin_user, True)
    new = GPUAssignment.objects.get(released_at__isnull=True)
    assert (new.user, new.user_name, new.assigned_by, new.assigned_by_name, new.purpose, new.expires_at) == (
        other_user, "Bob", admin_user, "Administrator", None, None)
    entry = AuditLog.objects.get(resource_type="gpu", action="import")
    assert (entry.action, entry.changes) == ("import", {"assigned_to": {"old": normal_user.pk, "new": other_user.pk}})

    release = xlsx({"GPUs": rows_for("GPUs", {**gpu_row, "Assigned To": None, "Status": None})})
    assert upload(admin_api, release, overwrite="true").json()["data"]["gpus"] == report(updated=1)
    gpu.refresh_from_db()
    assert (gpu.assigned_to, gpu.status) == (None, "free")
    assert GPUAssignment.objects.filter(released_at__isnull=True).count() == 0


def test_inactive_assignee_is_refused(admin_api, env, normal_user):
    normal_user.is_active = False
    normal_user.save()
    server = ServerFactory(name="gpu-01", datacenter=DatacenterFactory(name="DC-1"), environment=env)
    content = xlsx({"GPUs": rows_for("GPUs", {"Datacenter": "DC-1", "Server": server.name, "Index": 1,
                                              "Model": "A100", "Memory (GB)": 80, "Assigned To": "alice"})})
    response = upload(admin_api, content)
    assert response.json()["data"]["gpus"]["errors"] == [
        {"sheet": "GPUs", "row": 2, "column": "Assigned To", "message": "User 'alice' is inactive."}]


def test_port_mappings_replace_all_mappings_on_overwrite(admin_api, env, normal_user):
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="DC-1"), environment=env,
                           internal_ip="10.0.0.7")
    container = ContainerFactory(server=server, name="c1", owner=normal_user)
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    PortMappingFactory(container=container, container_port=22, internal_port=2222)
    row = {"Datacenter": "DC-1", "Server": "web-01", "Name": "c1", "Owner": "alice", "Image": "nginx:1.27"}
    same = '[{"container_port": 22, "internal_port": 2222}, {"container_port": 80, "internal_port": 8080, "protocol": "TCP"}]'
    response = upload(admin_api, xlsx({"Containers": rows_for("Containers", {**row, "Port Mappings": same})}),
                      overwrite="true")
    assert response.json()["data"]["containers"] == report(skipped=1)

    new = '[{"container_port": 443, "internal_ip": "2001:DB8::5", "internal_port": 8443, "protocol": "udp"}]'
    response = upload(admin_api, xlsx({"Containers": rows_for("Containers", {**row, "Port Mappings": new})}),
                      overwrite="true")
    assert response.json()["data"]["containers"] == report(updated=1)
    assert [m.mapping_chain for m in container.port_mappings.all()] == ["443 → [2001:db8::5]:8443"]
    entry = AuditLog.objects.get(resource_type="container", action="import")
    assert entry.changes == {"port_mappings": {
        "old": ["22 → 10.0.0.7:2222", "80 → 10.0.0.7:8080"], "new": ["443 → [2001:db8::5]:8443"]}}

    response = upload(admin_api, xlsx({"Containers": rows_for("Containers", {**row, "Port Mappings": "not json"})}),
                      overwrite="true")
    assert response.json()["data"]["containers"]["errors"] == [
        {"sheet": "Containers", "row": 2, "column": "Port Mappings", "message": "Enter a JSON array of port mappings."}]


def test_blank_owner_is_the_importing_admin_on_create_and_unchanged_on_update(admin_api, admin_user, normal_user, env):
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="DC-1"), environment=env)
    ContainerFactory(server=server, name="old", owner=normal_user, image=None)
    content = xlsx({"Containers": rows_for(
        "Containers", {"Datacenter": "DC-1", "Server": "web-01", "Name": "old", "Image": "redis:7"},
        {"Datacenter": "DC-1", "Server": "web-01", "Name": "new"})})
    response = upload(admin_api, content, overwrite="true")
    assert response.json()["data"]["containers"] == report(created=1, updated=1)
    assert dict(Container.objects.values_list("name", "owner__username")) == {"old": "alice", "new": "admin"}


def test_import_queries_do_not_grow_with_rows(admin_api, env):
    def workbook(dc, n):
        records = [server_record(Datacenter=dc, Name=f"s-{i}", **{"Internal IP": f"10.0.{i // 200}.{i % 200}"})
                   for i in range(n)]
        return xlsx({"Datacenters": rows_for("Datacenters", {"Name": dc}), "Servers": rows_for("Servers", *records)})

    def queries(content, **flags):
        """(other statements, INSERT or COPY statements) run by one import."""
        with CaptureQueriesContext(connection) as captured:
            assert upload(admin_api, content, **flags).status_code == 200
        inserts = sum(q["sql"].startswith(("INSERT", "COPY")) for q in captured.captured_queries)
        return len(captured) - inserts, inserts

    assert queries(workbook("DC-1", 3), dry_run="true") == queries(workbook("DC-1", 200), dry_run="true")
    (small_other, small_inserts), (large_other, large_inserts) = queries(workbook("DC-1", 3)), queries(workbook("DC-2", 200))
    assert small_other == large_other
    # Rows, their history and their audit entries go in bulk: a few batched INSERTs (SQLite
    # caps a statement's parameters) or one COPY each (PostgreSQL), never one per row.
    assert small_inserts == 6 and large_inserts <= 6 + 12
    assert Server.objects.count() == 203
    assert AuditLog.objects.filter(action="import", resource_type="server").count() == 203


# --- export ---------------------------------------------------------------------------

@pytest.fixture
def fleet(env, normal_user):
    dc_b, dc_a = DatacenterFactory(name="b-dc"), DatacenterFactory(name="A-dc", is_active=False)
    web = ServerFactory(datacenter=dc_b, environment=env, name="web", internal_ip="10.0.0.1", status="offline")
    app = ServerFactory(datacenter=dc_a, environment=env, name="app", internal_ip="10.0.0.2")
    ctr = ContainerFactory(server=web, name="Zeta", owner=normal_user, description="=HYPERLINK(\"x\")")
    ContainerFactory(server=web, name="alpha", owner=normal_user, purpose="@risk", image="-rm")
    ServiceFactory(container=ctr, name="svc", owner=normal_user)
    GPUFactory(server=app, index=1)
    GPUFactory(server=app, index=0)
    return {"web": web, "app": app, "dc_a": dc_a}


def test_export_all_writes_every_sheet_ordered_by_natural_key(admin_api, fleet):
    response = admin_api.get("/import-export/export")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert re.fullmatch(r'attachment; filename="export_all_\d{8}_\d{6}\.xlsx"', response["Content-Disposition"])
    book = read_xlsx(response.content)
    assert {title: rows[0] for title, rows in book.items()} == HEADERS
    assert [r[0] for r in book["Datacenters"][1:]] == ["A-dc", "b-dc"]  # inactive ones included
    assert [r[:2] for r in book["Servers"][1:]] == [["A-dc", "app"], ["b-dc", "web"]]
    assert [r[2] for r in book["Containers"][1:]] == ["alpha", "Zeta"]
    assert [r[:3] for r in book["GPUs"][1:]] == [["A-dc", "app", 0], ["A-dc", "app", 1]]


def test_export_neutralises_formulas_and_reimports_them_verbatim(admin_api, fleet):
    import openpyxl

    content = admin_api.get("/import-export/export", {"type": "containers"}).content
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = {c.value: c for row in book["Containers"].iter_rows() for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("x")', "@risk", "-rm"):
        assert (cells[text].data_type, cells[text].quotePrefix) == ("s", True)
    assert not any(c.data_type == "f" for row in book["Containers"].iter_rows() for c in row)

    Container.objects.update(description=None, purpose=None, image=None)
    response = upload(admin_api, content, overwrite="true")
    assert response.json()["data"]["containers"] == report(updated=2)
    assert dict(Container.objects.values_list("name", "description")) == {"Zeta": '=HYPERLINK("x")', "alpha": None}
    assert Container.objects.get(name="alpha").image == "-rm"


def test_export_of_one_type_honours_its_list_filters_ids_and_ordering(admin_api, fleet):
    response = admin_api.get("/import-export/export", {"type": "servers", "status": "offline"})
    assert re.fullmatch(r'attachment; filename="export_servers_\d{8}_\d{6}\.xlsx"', response["Content-Disposition"])
    book = read_xlsx(response.content)
    assert list(book) == ["Servers"]
    assert [r[1] for r in book["Servers"][1:]] == ["web"]

    book = read_xlsx(admin_api.get("/import-export/export", {"type": "datacenters"}).content)
    assert [r[0] for r in book["Datacenters"][1:]] == ["b-dc"]
    book = read_xlsx(admin_api.get("/import-export/export", {"type": "datacenters", "include_inactive": "true"}).content)
    assert [r[0] for r in book["Datacenters"][1:]] == ["A-dc", "b-dc"]

    book = read_xlsx(admin_api.get("/import-export/export", {"type": "gpus", "ordering": "-index"}).content)
    assert [r[2] for r in book["GPUs"][1:]] == [1, 0]
    gpu = GPU.objects.get(index=1)
    book = read_xlsx(admin_api.get("/import-export/export", {"type": "gpus", "ids": str(gpu.pk)}).content)
    assert [r[2] for r in book["GPUs"][1:]] == [1]


def test_export_all_with_ids_holds_those_servers_and_their_children(admin_api, fleet):
    book = read_xlsx(admin_api.get("/import-export/export", {"type": "all", "ids": f"{fleet['web'].pk}"}).content)
    assert [r[0] for r in book["Datacenters"][1:]] == ["b-dc"]
    assert [r[1] for r in book["Servers"][1:]] == ["web"]
    assert [r[2] for r in book["Containers"][1:]] == ["alpha", "Zeta"]
    assert [r[3] for r in book["Services"][1:]] == ["svc"]
    assert book["GPUs"][1:] == []


@pytest.mark.parametrize("params, errors", [
    ({"type": "racks"}, {"type": ["Choose one of: all, datacenters, servers, containers, services, gpus, reservations."]}),
    ({"ids": "1,x"}, {"ids": ["Enter comma-separated positive integer ids, e.g. 1,2,3."]}),
    ({"ids": "0"}, {"ids": ["Enter comma-separated positive integer ids, e.g. 1,2,3."]}),
    ({"type": "servers", "status": "lost"}, {"status": ["Select a valid choice. lost is not one of the available choices."]}),
    ({"type": "servers", "ordering": "colour"}, None),
])
def test_export_rejects_bad_parameters(admin_api, params, errors):
    response = admin_api.get("/import-export/export", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    if errors is not None:
        assert response.json()["errors"] == errors
    else:
        assert list(response.json()["errors"]) == ["ordering"]


def test_a_conflicting_concurrent_write_fails_the_import_cleanly(admin_api, env, monkeypatch):
    """A row someone else created between the check and the write: 400, nothing written."""
    from inventory.services import importing

    real_write = importing.Plan.write_model

    def write_after_a_concurrent_create(plan, model):
        if model is Server:
            ServerFactory(datacenter=Datacenter.objects.get(name="DC-1"), environment=env, name="web-01")
        return real_write(plan, model)

    monkeypatch.setattr(importing.Plan, "write_model", write_after_a_concurrent_create)
    content = xlsx({"Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
                    "Servers": rows_for("Servers", server_record())})
    response = upload(admin_api, content)
    assert response.status_code == 400
    assert response.json()["message"] == "Import failed: 1 error; nothing was written."
    assert response.json()["data"]["servers"]["errors"] == [{
        "sheet": "Servers", "row": 1, "column": None,
        "message": "The inventory changed while the file was imported; nothing was written. Import it again."}]
    assert inventory_counts() == [0] * 7


def test_children_of_a_failed_row_report_only_their_own_errors(admin_api, env, normal_user):
    content = xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
        "Servers": rows_for("Servers", server_record(**{"Internal IP": "bad"})),
        "Containers": rows_for("Containers", {"Datacenter": "DC-1", "Server": "web-01", "Name": "c1", "Owner": "alice",
                                              "Port Mappings": '[{"container_port": 22, "internal_port": 2222}]'},
                               {"Datacenter": "DC-1", "Server": "web-01", "Name": "c2", "Owner": "alice",
                                "Status": "lost"}),
        "GPUs": rows_for("GPUs", {"Datacenter": "DC-1", "Server": "web-01", "Index": 0, "Model": "A100",
                                  "Memory (GB)": 80}),
    })
    response = upload(admin_api, content)
    assert response.status_code == 400
    data = response.json()["data"]
    assert data["servers"]["errors"] == [
        {"sheet": "Servers", "row": 2, "column": "Internal IP", "message": "Enter a valid IPv4 or IPv6 address."}]
    assert data["containers"] == report(created=1, errors=[
        {"sheet": "Containers", "row": 3, "column": "Status", "message": '"lost" is not a valid choice.'}])
    assert data["gpus"] == report(created=1)
