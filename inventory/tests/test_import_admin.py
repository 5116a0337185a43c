"""The admin's whole-workbook page: upload -> dry-run preview -> confirm, and export."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditLog
from inventory.models import Datacenter, Server
from inventory.resources import ServerResource
from inventory.workbook import XLSX_CONTENT_TYPE
from tests.factories import EnvironmentFactory

from .workbook_helpers import read_xlsx, rows_for, xlsx

pytestmark = pytest.mark.django_db

PAGE = "/admin/inventory/workbook/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def workbook(db):
    EnvironmentFactory(code="prod")
    return xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
        "Servers": rows_for("Servers", {"Datacenter": "DC-1", "Name": "web-01", "Environment": "prod",
                                        "Internal IP": "10.0.0.1"}),
    })


def post_file(client, content, name="fleet.xlsx", **fields):
    return client.post(PAGE, {"file": SimpleUploadedFile(name, content), **fields})


def test_page_needs_a_staff_login(client, normal_user):
    assert reverse("inventory_workbook") == PAGE
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(normal_user)
    assert client.get(PAGE).status_code == 302


def test_preview_then_confirm_imports_the_file(admin_client, workbook, admin_user):
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    assert b'id="workbook-import"' in page.content and b'id="workbook-export"' in page.content

    preview = post_file(admin_client, workbook)
    assert preview.status_code == 200
    assert preview.templates[0].name == "admin/inventory/workbook_preview.html"
    counts = [(title, s.created, s.updated, s.skipped) for title, s in preview.context["rows"]]
    assert counts == [("Datacenters", 1, 0, 0), ("Servers", 1, 0, 0), ("Containers", 0, 0, 0),
                      ("Services", 0, 0, 0), ("GPUs", 0, 0, 0)]
    assert b'id="workbook-confirm"' in preview.content
    assert Server.objects.count() == 0  # the preview wrote nothing

    token = preview.context["confirm_form"].initial["token"]
    done = admin_client.post(PAGE, {"token": token, "overwrite": "False"}, follow=True)
    assert done.redirect_chain == [(PAGE, 302)]
    assert [str(m) for m in done.context["messages"]] == ["Import finished: 2 created, 0 updated, 0 skipped."]
    assert Server.objects.get().datacenter.name == "DC-1"
    assert set(AuditLog.objects.filter(action="import").values_list("username", flat=True)) == {"admin"}

    again = admin_client.post(PAGE, {"token": token}, follow=True)  # the file was used up
    assert [str(m) for m in again.context["messages"]] == ["The previewed file is gone; upload it again."]
    assert Server.objects.count() == 1


def test_overwrite_is_carried_from_preview_to_confirm(admin_client, workbook):
    post_file(admin_client, workbook)
    token = post_file(admin_client, workbook).context["confirm_form"].initial["token"]
    admin_client.post(PAGE, {"token": token})
    changed = xlsx({"Datacenters": [["Name", "Location"], ["DC-1", "Hall 9"]]})
    preview = post_file(admin_client, changed, overwrite="on")
    assert [s.updated for _, s in preview.context["rows"]][0] == 1
    form = preview.context["confirm_form"]
    admin_client.post(PAGE, {"token": form.initial["token"], "overwrite": "True"})
    assert Datacenter.objects.get().location == "Hall 9"


def test_preview_lists_errors_and_offers_no_confirmation(admin_client, workbook):
    bad = xlsx({"Servers": rows_for("Servers", {"Datacenter": "nowhere", "Name": "web-01", "Environment": "prod",
                                                "Internal IP": "999.1.1.1"})})
    preview = post_file(admin_client, bad)
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    assert [e for e in preview.context["report"].errors()] == [
        {"sheet": "Servers", "row": 2, "column": "Internal IP", "message": "Enter a valid IPv4 or IPv6 address."},
        {"sheet": "Servers", "row": 2, "column": "Datacenter", "message": "Datacenter 'nowhere' does not exist."},
    ]
    assert b"Import failed: 2 errors; nothing was written." in preview.content
    assert b'id="import-errors"' in preview.content


def test_unreadable_upload_is_a_form_error(admin_client):
    response = post_file(admin_client, b"hello", name="fleet.xls")
    assert response.status_code == 200
    assert response.context["import_form"].errors == {
        "file": ["Upload an Excel workbook whose name ends in .xlsx (.xls and other formats are not supported)."]}


def test_a_forged_token_is_refused(admin_client, workbook):
    response = admin_client.post(PAGE, {"token": "/etc/passwd"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["The preview has expired; upload the file again."]
    assert Server.objects.count() == 0


def test_export_downloads_the_chosen_sheets(admin_client, workbook):
    post = post_file(admin_client, workbook)
    admin_client.post(PAGE, {"token": post.context["confirm_form"].initial["token"]})
    response = admin_client.get(reverse("inventory_workbook_export"), {"type": "servers"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert re.fullmatch(r'attachment; filename="export_servers_\d{8}_\d{6}\.xlsx"', response["Content-Disposition"])
    assert [row[:2] for row in read_xlsx(response.content)["Servers"][1:]] == [["DC-1", "web-01"]]


# --- per-model import/export buttons (django-import-export on the sheet Resources) ---------

def test_server_changelist_import_previews_row_errors_then_confirms(admin_client, workbook):
    Datacenter.objects.create(name="DC-1")
    csv = ("Datacenter*,Name*,Environment*,Internal IP*,Description\n"
           "DC-1,web-01,prod,10.0.0.1,=cmd\n"
           "DC-1,web-02,prod,10.0.0.300,\n").encode()
    url = reverse("admin:inventory_server_import")
    bad = admin_client.post(url, {"resource": "0", "format": "1", "import_file": SimpleUploadedFile("s.csv", csv)})
    assert bad.status_code == 200
    result = bad.context["result"]
    assert [(r.number, r.error_dict) for r in result.invalid_rows] == [
        (3, {"Internal IP": ["Enter a valid IPv4 or IPv6 address."]})]
    assert "confirm_form" not in bad.context and Server.objects.count() == 0

    good_csv = csv.replace(b"10.0.0.300", b"10.0.0.2").replace(b"=cmd", b"'=cmd")
    preview = admin_client.post(url, {"resource": "0", "format": "1",
                                      "import_file": SimpleUploadedFile("s.csv", good_csv)})
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["new", "new"]
    assert Server.objects.count() == 0
    confirm = preview.context["confirm_form"].initial
    done = admin_client.post(reverse("admin:inventory_server_process_import"), confirm, follow=True)
    assert done.status_code == 200
    assert dict(Server.objects.values_list("name", "description")) == {"web-01": "=cmd", "web-02": None}
    assert AuditLog.objects.filter(action="import", resource_type="server").count() == 2


def test_server_changelist_export_guards_formulas_in_csv(admin_client, workbook):
    post = post_file(admin_client, workbook)
    admin_client.post(PAGE, {"token": post.context["confirm_form"].initial["token"]})
    Server.objects.update(description="@SUM(1)")
    every_column = {f"serverresource_{name}": "on" for name in ServerResource().get_export_order()}
    response = admin_client.post(reverse("admin:inventory_server_export"),
                                 {"format": "1", "resource": "0", **every_column})
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Datacenter*,Name*,Environment*,Internal IP*")
    assert lines[1].startswith("DC-1,web-01,prod,10.0.0.1,") and lines[1].endswith(",'@SUM(1)")
