"""The workbook page's preview (issue 16, point 7): per sheet, each row created, updated
(with its changes, old -> new) or unchanged, and each error with its cell's value and the
row's name; all from the importer's plan. Blank and null are the same value."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import Container
from inventory.services import exporting
from inventory.services.importing import import_workbook
from inventory.workbook import read_workbook
from tests.factories import ContainerFactory, DatacenterFactory, EnvironmentFactory, ServerFactory

from .workbook_helpers import rows_for, xlsx

pytestmark = pytest.mark.django_db

PAGE = "/admin/inventory/workbook/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def server(db):
    return ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"), internal_ip="10.0.0.7",
                         environment=EnvironmentFactory(code="prod"))


def preview(client, content, overwrite=True):
    data = {"file": SimpleUploadedFile("fleet.xlsx", content)}
    if overwrite:
        data["overwrite"] = "on"
    return client.post(PAGE, data)


def test_reimporting_an_admin_made_container_changes_nothing(admin_client, admin_user, server):
    response = admin_client.post(reverse("admin:inventory_container_add"), {
        "name": "nginx-01", "server": server.pk, "status": "running", "cpu_usage": 0, "memory_usage": 0,
        "sort_order": 0, "purpose": "", "image": "", "container_id": "", "description": "",
        "port_mappings-TOTAL_FORMS": 1, "port_mappings-INITIAL_FORMS": 0, "port_mappings-0-container_port": 80,
        "port_mappings-0-internal_port": 8080, "port_mappings-0-protocol": "tcp", "port_mappings-0-internal_ip": "",
        "port_mappings-0-external_ip": "", "port_mappings-0-description": ""})
    assert response.status_code == 302
    assert Container.objects.get().description == ""  # what a form saves for a blank text area
    exported = exporting.export_workbook(exporting.querysets_for("all"))

    report = import_workbook(read_workbook(exported), user=admin_user, overwrite=True, dry_run=True)
    assert report.ok and report.totals() == (0, 0, 3)  # datacenter, server, container: all unchanged
    page = preview(admin_client, exported)
    containers = next(s for s in page.context["sheets"] if s["title"] == "Containers")
    assert [(r["name"], r["outcome"], r["changes"]) for r in containers["rows"]] == [
        ("AMS1 / web-01 / nginx-01", "Unchanged", [])]


def test_the_preview_lists_created_updated_and_unchanged_rows_with_old_and_new(admin_client, admin_user, server):
    ContainerFactory(server=server, name="nginx-01", image="nginx:1.25", owner=admin_user, description=None)
    ContainerFactory(server=server, name="redis-01", image="redis:7", owner=admin_user)
    content = xlsx({"Containers": rows_for(
        "Containers",
        {"Datacenter": "AMS1", "Server": "web-01", "Name": "nginx-01", "Image": "nginx:1.27", "Description": "edge",
         "Owner": admin_user.username, "Port Mappings": '[{"container_port": 80, "internal_port": 8080}]'},
        {"Datacenter": "AMS1", "Server": "web-01", "Name": "redis-01", "Image": "redis:7",
         "Owner": admin_user.username},
        {"Datacenter": "AMS1", "Server": "web-01", "Name": "api-01", "Image": "api:2"},
    )})
    page = preview(admin_client, content)
    [sheet] = page.context["sheets"]
    rows = [(r["number"], r["name"], r["outcome"], r["changes"]) for r in sheet["rows"]]
    assert rows == [
        (2, "AMS1 / web-01 / nginx-01", "Updated", [
            ("Image", "nginx:1.25", "nginx:1.27"), ("Description", None, "edge"),
            ("Port Mappings", None, "80 → 10.0.0.7:8080")]),
        (3, "AMS1 / web-01 / redis-01", "Unchanged", []),
        (4, "AMS1 / web-01 / api-01", "Created", []),
    ]
    html = page.content.decode()
    assert "<b>Image</b>: nginx:1.25 → nginx:1.27" in html
    assert "<b>Description</b>: — → edge" in html


def test_errors_show_the_bad_value_and_the_rows_name(admin_client, server):
    content = xlsx({"Servers": rows_for("Servers", {"Datacenter": "AMS1", "Name": "web-02", "Environment": "prod",
                                                    "Internal IP": "10.0.0.300"})})
    page = preview(admin_client, content)
    [sheet] = page.context["sheets"]
    [row] = sheet["rows"]
    assert (row["name"], row["outcome"]) == ("AMS1 / web-02", "Error")
    assert [(e["column"], e["value"], e["message"]) for e in row["errors"]] == [
        ("Internal IP", "10.0.0.300", "Enter a valid IPv4 or IPv6 address.")]
    html = page.content.decode()
    assert "<td>AMS1 / web-02</td><td>Internal IP</td><td>10.0.0.300</td>" in html
