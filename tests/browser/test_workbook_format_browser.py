"""One workbook format in Chromium (issue 16, point 7): a list's Export button downloads the
rows shown as its workbook sheet, its Import button opens the workbook page, and the preview
lists rows created, updated (old → new) and unchanged.

Leaves var/screenshots/<test name>[-step].png (see conftest.py).
"""
import json

from playwright.sync_api import expect

from inventory.models import Container
from inventory.resources import ContainerResource
from inventory.tests.workbook_helpers import read_xlsx, rows_for, xlsx
from tests.factories import ContainerFactory, DatacenterFactory, ServerFactory


def test_list_buttons_use_the_workbook_and_the_preview_shows_what_changes(admin_page, ops_admin, screenshot, tmp_path):
    page = admin_page
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"), internal_ip="10.0.0.7")
    ContainerFactory(server=server, name="nginx-01", image="nginx:1.25", owner=ops_admin)
    ContainerFactory(server=server, name="redis-01", image="redis:7", owner=ops_admin)
    ContainerFactory(server=ServerFactory(name="web-01"), name="other-dc", owner=ops_admin)  # filtered out

    page.goto(f"/admin/inventory/container/?server__datacenter__id__exact={server.datacenter_id}")
    screenshot(page, "list")
    with page.expect_download() as download:
        page.locator("a.export_link").click()
    assert download.value.suggested_filename.startswith("export_containers_")
    sheets = read_xlsx(open(download.value.path(), "rb").read())
    assert list(sheets) == ["Containers"]
    assert sheets["Containers"][0] == ContainerResource().headers()
    assert [row[2] for row in sheets["Containers"][1:]] == ["nginx-01", "redis-01"]

    page.locator("a.import_link").click()
    expect(page.locator("#workbook-import")).to_be_visible()
    upload = tmp_path / "containers.xlsx"
    upload.write_bytes(xlsx({"Containers": rows_for(
        "Containers",
        {"Datacenter": "AMS1", "Server": "web-01", "Name": "nginx-01", "Image": "nginx:1.27", "Owner": "ops",
         "Port Mappings": json.dumps([{"container_port": 80, "internal_port": 8080}])},
        {"Datacenter": "AMS1", "Server": "web-01", "Name": "redis-01", "Image": "redis:7", "Owner": "ops"},
        {"Datacenter": "AMS1", "Server": "web-01", "Name": "api-01", "Image": "api:2"},
    )}))
    page.set_input_files("#id_file", str(upload))
    page.check("#id_overwrite")
    page.locator('#workbook-import input[type="submit"]').click()
    rows = page.locator("#sheet-containers tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("AMS1 / web-01 / nginx-01")
    expect(rows.nth(0).locator(".outcome")).to_have_text("Updated")
    expect(rows.nth(0)).to_contain_text("Image: nginx:1.25 → nginx:1.27")
    expect(rows.nth(0)).to_contain_text("Port Mappings: — → 80 → 10.0.0.7:8080")
    expect(rows.nth(1).locator(".outcome")).to_have_text("Unchanged")
    expect(rows.nth(2).locator(".outcome")).to_have_text("Created")
    screenshot(page, "preview")
    assert Container.objects.filter(name="api-01").count() == 0
    page.locator('#workbook-confirm input[type="submit"]').click()
    expect(page.locator(".messagelist .success")).to_contain_text("Import finished: 1 created, 1 updated, 1 skipped.")
    assert Container.objects.get(name="nginx-01", server=server).image == "nginx:1.27"
