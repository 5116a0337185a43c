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


def test_page_needs_an_admin(client, normal_user):
    assert reverse("inventory_workbook") == PAGE
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(normal_user)  # signs in to the admin, but import/export is the admins' (API.md §2)
    assert client.get(PAGE).status_code == 403


def test_preview_then_confirm_imports_the_file(admin_client, workbook, admin_user):
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    assert b'id="workbook-import"' in page.content and b'id="workbook-export"' in page.content

    preview = post_file(admin_client, workbook)
    assert preview.status_code == 200
    assert preview.templates[0].name == "admin/inventory/workbook_preview.html"
    counts = [(s["title"], s["report"].created, s["report"].updated, s["report"].skipped)
              for s in preview.context["sheets"]]
    assert counts == [("Datacenters", 1, 0, 0), ("Servers", 1, 0, 0)]  # the sheets the file has
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
    assert [s["report"].updated for s in preview.context["sheets"]][0] == 1
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


# --- the lists' buttons: one workbook format ----------------------------------------------

def test_a_list_exports_the_rows_it_shows_as_its_workbook_sheet(admin_client, workbook):
    post = post_file(admin_client, workbook)
    admin_client.post(PAGE, {"token": post.context["confirm_form"].initial["token"]})
    Server.objects.create(name="db-01", datacenter=Datacenter.objects.get(), environment=Server.objects.get().environment,
                          internal_ip="10.0.0.9", description="@SUM(1)")
    changelist = admin_client.get("/admin/inventory/server/", {"q": "db"}).content.decode()
    assert '<a href="/admin/inventory/server/export/?q=db" class="export_link"' in changelist
    assert '<a href="/admin/inventory/workbook/" class="import_link"' in changelist
    response = admin_client.get("/admin/inventory/server/export/", {"q": "db"})
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert re.fullmatch(r'attachment; filename="export_servers_\d{8}_\d{6}\.xlsx"', response["Content-Disposition"])
    sheets = read_xlsx(response.content)
    assert list(sheets) == ["Servers"]
    assert sheets["Servers"][0] == ServerResource().headers()  # the workbook's headers, not "Internal Ip (...)"
    assert [row[:2] for row in sheets["Servers"][1:]] == [["DC-1", "db-01"]]
    assert sheets["Servers"][1][-1] == "@SUM(1)"  # written as text, never as a formula


def test_the_sheet_export_re_imports_as_is(admin_client, workbook):
    post = post_file(admin_client, workbook)
    admin_client.post(PAGE, {"token": post.context["confirm_form"].initial["token"]})
    exported = admin_client.get("/admin/inventory/server/export/").content
    preview = post_file(admin_client, exported, overwrite="on")
    assert [(r["number"], r["outcome"]) for r in preview.context["sheets"][0]["rows"]] == [(2, "Unchanged")]


def test_users_get_no_workbook_buttons(client, normal_user, workbook):
    client.force_login(normal_user)
    assert "export_link" not in client.get("/admin/inventory/server/").content.decode()
    assert client.get("/admin/inventory/server/export/").status_code == 403
