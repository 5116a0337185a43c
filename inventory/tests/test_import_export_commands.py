"""manage.py import_data / export_data: summaries, exit codes, the system user."""
import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditLog
from inventory.models import Container, Datacenter, Server
from tests.factories import ContainerFactory, DatacenterFactory, EnvironmentFactory, ServerFactory

from .workbook_helpers import read_xlsx, rows_for, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def env(db):
    return EnvironmentFactory(code="prod")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, content, name="in.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_import_data_writes_as_system_and_prints_a_summary(tmp_path, env):
    path = write(tmp_path, xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
        "Servers": rows_for("Servers", {"Datacenter": "DC-1", "Name": "web-01", "Environment": "prod",
                                        "Internal IP": "10.0.0.1"}),
    }))
    out, err = run("import_data", path)
    assert out.splitlines() == [
        "datacenters        1 created       0 updated       0 skipped     0 errors",
        "servers            1 created       0 updated       0 skipped     0 errors",
        "containers         0 created       0 updated       0 skipped     0 errors",
        "services           0 created       0 updated       0 skipped     0 errors",
        "gpus               0 created       0 updated       0 skipped     0 errors",
        "reservations       0 created       0 updated       0 skipped     0 errors",
        "Import finished: 2 created, 0 updated, 0 skipped.",
    ]
    assert err == ""
    entries = AuditLog.objects.filter(action="import")
    assert sorted(entries.values_list("username", "user_id", "request_id", "resource_type")) == [
        ("system", None, None, "datacenter"), ("system", None, None, "server")]


def test_import_data_dry_run_and_overwrite(tmp_path, env):
    server = ServerFactory(datacenter=DatacenterFactory(name="DC-1"), environment=env, name="web-01",
                           internal_ip="10.0.0.1")
    path = write(tmp_path, xlsx({"Servers": rows_for("Servers", {
        "Datacenter": "DC-1", "Name": "web-01", "Environment": "prod", "Internal IP": "10.0.0.2"})}))
    out, _ = run("import_data", path, "--dry-run", "--overwrite")
    assert out.splitlines()[-1] == "Dry run finished: 0 created, 1 updated, 0 skipped; nothing was written."
    server.refresh_from_db()
    assert server.internal_ip == "10.0.0.1"
    out, _ = run("import_data", path)
    assert out.splitlines()[-1] == "Import finished: 0 created, 0 updated, 1 skipped."
    run("import_data", path, "--overwrite")
    server.refresh_from_db()
    assert server.internal_ip == "10.0.0.2"


def test_import_data_fails_with_the_error_list_and_writes_nothing(tmp_path, env, normal_user):
    path = write(tmp_path, xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
        "Containers": rows_for("Containers", {"Datacenter": "DC-1", "Server": "nope", "Name": "c1", "Owner": "alice"}),
    }))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"^Import failed: 1 error; nothing was written\.$"):
        call_command("import_data", path, stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == "Containers row 2: Server 'nope' does not exist in datacenter 'DC-1'.\n"
    assert Datacenter.objects.count() == 0


def test_blank_owner_needs_a_username_when_no_user_imports(tmp_path, env):
    ServerFactory(datacenter=DatacenterFactory(name="DC-1"), environment=env, name="web-01")
    path = write(tmp_path, xlsx({"Containers": rows_for("Containers", {"Datacenter": "DC-1", "Server": "web-01",
                                                                        "Name": "c1"})}))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_data", path, stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ("Containers row 2, Owner: Give the owner's username: there is no importing user "
                              "to default to.\n")


@pytest.mark.parametrize("content, message", [
    (None, r"^Cannot read .*missing\.xlsx: No such file or directory\.$"),
    (b"not a workbook", r"^The file is not a readable \.xlsx workbook\.$"),
])
def test_import_data_unreadable_files(tmp_path, content, message):
    path = str(tmp_path / "missing.xlsx") if content is None else write(tmp_path, content)
    with pytest.raises(CommandError, match=message):
        call_command("import_data", path, stdout=io.StringIO(), stderr=io.StringIO())


def test_export_data_writes_a_workbook_that_imports_back(tmp_path, env, normal_user):
    server = ServerFactory(datacenter=DatacenterFactory(name="DC-1"), environment=env, name="web-01")
    ContainerFactory(server=server, name="c1", owner=normal_user)
    path = str(tmp_path / "out.xlsx")
    out, _ = run("export_data", path)
    assert out == f"Exported 1 datacenters, 1 servers, 1 containers, 0 services, 0 gpus, 0 reservations to {path}.\n"
    out, _ = run("export_data", str(tmp_path / "servers.xlsx"), "--type", "servers")
    assert list(read_xlsx((tmp_path / "servers.xlsx").read_bytes())) == ["Servers"]
    Container.objects.all().delete()
    out, _ = run("import_data", path)
    assert out.splitlines()[-1] == "Import finished: 1 created, 0 updated, 2 skipped."
    assert Server.objects.get().containers.get().owner == normal_user


def test_commands_exit_non_zero_from_the_shell(tmp_path):
    """The real exit status a script sees (CommandError -> 1, bad arguments -> 2)."""
    bad = write(tmp_path, b"not a workbook")
    result = subprocess.run([sys.executable, "manage.py", "import_data", bad], capture_output=True, text=True)
    assert result.returncode == 1
    assert "The file is not a readable .xlsx workbook." in result.stderr
    result = subprocess.run([sys.executable, "manage.py", "export_data", str(tmp_path / "x.xlsx"), "--type", "racks"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "invalid choice: 'racks'" in result.stderr
