"""The ops admin in a real Chromium: what an operator does, click by click.

Each test leaves var/screenshots/<test name>.png (see conftest.py).
"""
import re

from playwright.sync_api import expect

from inventory.models import GPU, GPUAssignment, Server
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory, ServiceFactory, UserFactory,
)

from .conftest import PASSWORD


def choose_autocomplete(page, field, text):
    """Pick ``text`` in an admin autocomplete (select2) field."""
    page.locator(f"#id_{field} + .select2").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def run_action(page, label, *rows):
    """Tick ``rows`` (object ids) on a changelist and run the action ``label``."""
    for pk in rows:
        page.locator(f'input[name="_selected_action"][value="{pk}"]').check()
    page.select_option('select[name="action"]', label=label)
    page.locator('button[name="index"]').click()


def test_login_shows_the_dashboard(page, ops_admin):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))

    page.fill("#id_username", "ops")
    page.fill("#id_password", "wrong-password")
    page.locator('input[type="submit"]').click()
    expect(page.locator(".errornote")).to_contain_text("Please enter the correct username and password")

    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.locator('input[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#user-tools")).to_contain_text("Welcome, ops.")


def test_create_a_server_with_a_gpu_inline(admin_page):
    page = admin_page
    DatacenterFactory(name="DC-North")
    EnvironmentFactory(code="prod")

    page.goto("/admin/inventory/server/add/")
    page.fill("#id_name", "gpu-box-01")
    choose_autocomplete(page, "datacenter", "DC-North")
    choose_autocomplete(page, "environment", "Production")
    page.fill("#id_internal_ip", "10.20.0.7")
    page.locator("#gpus-group .add-row a").click()
    page.fill("#id_gpus-0-model", "NVIDIA H100")
    page.fill("#id_gpus-0-memory_gb", "80")
    page.fill("#id_gpus-0-index", "0")
    page.locator('input[name="_continue"]').click()

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    server = Server.objects.get(name="gpu-box-01")
    assert (server.datacenter.name, server.environment.code, server.internal_ip) == ("DC-North", "prod", "10.20.0.7")
    assert list(server.gpus.values_list("model", "memory_gb", "index", "status")) == [("NVIDIA H100", 80, 0, "free")]
    # Back on the server's page, its GPU row offers to assign it.
    expect(page.locator("#gpus-group")).to_contain_text("Assign…")


def test_assign_a_gpu_through_the_action_and_release_it(admin_page, ops_admin, screenshot):
    page = admin_page
    gpu = GPUFactory(server=ServerFactory(name="gpu-01"), model="NVIDIA A100", index=0)
    UserFactory(username="bob", display_name="Bob")

    page.goto("/admin/inventory/gpu/")
    run_action(page, "Assign selected GPUs to a user…", gpu.pk)
    expect(page.locator("h1")).to_have_text("Assign GPUs")
    choose_autocomplete(page, "user", "bob")
    page.fill("#id_purpose", "LLM fine-tuning")
    page.fill("#id_expires_at_0", "2099-01-31")
    page.fill("#id_expires_at_1", "18:00:00")
    screenshot(page, "form")
    page.locator('input[type="submit"][value="Assign"]').click()

    label = f"NVIDIA A100 #0 on gpu-01 ({gpu.server.datacenter.name})"
    expect(page.locator(".messagelist .success")).to_have_text(f"GPU assigned to Bob: {label}.")
    expect(page.locator("#result_list")).to_contain_text("In use")
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to.username) == ("in_use", "bob")
    record = GPUAssignment.objects.get(gpu=gpu)
    assert (record.purpose, record.assigned_by, record.expires_at.isoformat()) == (
        "LLM fine-tuning", ops_admin, "2099-01-31T18:00:00+00:00",
    )

    run_action(page, "Release selected GPUs", gpu.pk)
    expect(page.locator(".messagelist .success")).to_have_text(f"GPU released: {label}.")
    expect(page.locator("#result_list")).to_contain_text("Free")
    record.refresh_from_db()
    assert (record.release_reason, record.released_by) == ("manual", ops_admin)

    # The GPU's page shows the closed assignment.
    page.goto(f"/admin/inventory/gpu/{gpu.pk}/change/")
    history = page.locator("#assignments-group")
    expect(history).to_contain_text("Assignment history")
    expect(history.locator("td.field-user_name")).to_have_text("Bob")
    expect(history.locator("td.field-release_reason")).to_have_text("manual")


def test_assign_and_release_from_the_server_page(admin_page):
    page = admin_page
    server = ServerFactory(name="gpu-02")
    gpu = GPUFactory(server=server, index=1)
    UserFactory(username="carol", display_name="Carol")

    page.goto(f"/admin/inventory/server/{server.pk}/change/")
    page.locator("#gpus-group").get_by_role("link", name="Assign…").click()
    choose_autocomplete(page, "user", "carol")
    page.locator('input[type="submit"][value="Assign"]').click()

    expect(page).to_have_url(re.compile(rf"/admin/inventory/server/{server.pk}/change/$"))
    label = f"NVIDIA A100 #1 on gpu-02 ({server.datacenter.name})"
    expect(page.locator(".messagelist .success")).to_have_text(f"GPU assigned to Carol: {label}.")
    page.locator("#gpus-group").get_by_role("link", name="Release…").click()
    page.fill("#id_reason", "node maintenance")
    page.locator('input[type="submit"][value="Release"]').click()

    expect(page.locator(".messagelist .success")).to_have_text(f"GPU released: {label}.")
    assert GPU.objects.get(pk=gpu.pk).status == "free"
    assert GPUAssignment.objects.get(gpu=gpu).release_reason == "node maintenance"


def test_import_a_workbook_through_preview_and_confirm(admin_page, ops_admin, tmp_path, screenshot):
    from inventory.services.exporting import template_workbook

    page = admin_page
    EnvironmentFactory(code="prod")
    workbook = tmp_path / "fleet.xlsx"
    workbook.write_bytes(template_workbook(owner=ops_admin))  # one consistent row per sheet

    page.goto("/admin/inventory/server/")
    page.locator("#user-tools").get_by_role("link", name="Workbook").click()
    page.set_input_files("#id_file", str(workbook))
    page.locator('input[type="submit"][value="Check the file"]').click()

    expect(page.locator("#import-summary")).to_have_text("The file is valid. Nothing has been written yet.")
    expect(page.locator("#import-counts tbody tr")).to_have_count(6)
    expect(page.locator("#import-counts tbody tr").nth(5).locator("td")).to_have_text(
        ["Reservations", "1", "0", "0", "0"])
    expect(page.locator("#import-counts tbody tr").nth(1).locator("td")).to_have_text(["Servers", "1", "0", "0", "0"])
    assert not Server.objects.exists()  # the preview is a dry run
    screenshot(page, "preview")
    page.locator('input[type="submit"][value="Confirm import"]').click()

    expect(page.locator(".messagelist .success")).to_contain_text("Import finished: 6 created, 0 updated, 0 skipped.")
    server = Server.objects.get()
    assert (server.containers.count(), server.gpus.count()) == (1, 1)
    assert server.gpus.get().reservations.get().user == ops_admin  # the example booking, for the importer


def test_history_and_revert_a_change(admin_page):
    page = admin_page
    server = ServerFactory(name="web-01", responsible_person="Alice")
    server.responsible_person = "Mallory"
    server.save()

    page.goto(f"/admin/inventory/server/{server.pk}/change/")
    page.locator(".object-tools").get_by_role("link", name="History").click()
    rows = page.locator("#change-history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Mallory")  # newest first, with the change
    rows.last.locator("td").first.get_by_role("link").click()  # the original version

    expect(page.locator("h1")).to_have_text(f"Revert {server.label}")
    expect(page.locator("#id_responsible_person")).to_have_value("Alice")
    page.locator('input[type="submit"][value="Revert"]').first.click()

    expect(page.locator(".messagelist .success")).to_have_text(f"The server “{server.label}” was changed successfully.")
    server.refresh_from_db()
    assert server.responsible_person == "Alice"


def test_dashboard_and_tree(admin_page, screenshot):
    page = admin_page
    dc = DatacenterFactory(name="DC-North")
    server = ServerFactory(name="web-01", datacenter=dc, environment=EnvironmentFactory(code="prod"), status="maintenance")
    container = ContainerFactory(server=server, name="nginx-01")
    ServiceFactory(container=container, name="nginx-80", status="unhealthy")
    GPUFactory(server=server, index=0, status="error")

    page.goto("/admin/")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator('#servers-by-status [data-status="maintenance"] strong')).to_have_text("1")
    expect(page.locator('#gpus-by-status [data-status="error"] strong')).to_have_text("1")
    expect(page.locator("#datacenters tbody td")).to_have_text(["DC-North", "1", "1", "1"])
    expect(page.locator("#gpu-hours")).to_contain_text("No GPU was assigned in the last 30 days.")
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Open the server tree").click()
    expect(page.locator("h1")).to_have_text("Server tree")
    service = page.get_by_role("link", name="nginx-80")
    expect(service).to_be_hidden()  # collapsed until expanded (the only datacenter opens and loads)
    page.locator(f'[data-server="{server.pk}"] > summary').click()
    page.locator(f'[data-container="{container.pk}"] > summary').click()
    expect(service).to_be_visible()
    page.get_by_role("link", name="Collapse all").click()
    expect(service).to_be_hidden()
    page.get_by_role("link", name="Expand all").click()
    screenshot(page, "tree")
    service.click()
    expect(page).to_have_url(re.compile(r"/admin/inventory/service/\d+/change/$"))


def test_tree_filters(admin_page):
    page = admin_page
    ServerFactory(name="web-01", status="maintenance")
    page.goto("/admin/tree/")
    page.locator("#changelist-filter").get_by_role("link", name="Online").click()
    expect(page).to_have_url(re.compile(r"/admin/tree/\?status__exact=online$"))
    expect(page.locator("#server-tree")).to_have_text("No servers match these filters.")


def test_delete_a_server_with_gpu_history(admin_page, ops_admin, screenshot):
    """The confirmation lists the GPUs and their assignment history; confirming deletes them all."""
    from inventory.services.gpu_assignment import assign_gpu, release_gpu

    page = admin_page
    server = ServerFactory(name="gpu-old")
    held, used = GPUFactory(server=server, index=0), GPUFactory(server=server, index=1)
    assign_gpu(held.pk, UserFactory(display_name="Bob").pk, by=ops_admin)
    assign_gpu(used.pk, UserFactory(display_name="Carol").pk, by=ops_admin)
    release_gpu(used.pk, by=ops_admin)

    page.goto(f"/admin/inventory/server/{server.pk}/change/")
    page.locator("a.deletelink").click()
    content = page.locator("#content")
    expect(content).to_contain_text(f'Are you sure you want to delete the server "{server.label}"?')
    expect(content).not_to_contain_text("doesn’t have permission")
    expect(content).to_contain_text("GPU assignments: 2")
    expect(content).to_contain_text(f"GPU assignment: {held.label}, held by Bob")
    expect(content).to_contain_text(f"GPU assignment: {used.label}, held by Carol")
    screenshot(page, "confirm")
    page.locator('input[type="submit"]').click()
    expect(page.locator(".messagelist .success")).to_contain_text("was deleted successfully")
    assert not Server.objects.exists() and not GPU.objects.exists() and not GPUAssignment.objects.exists()


def test_revert_a_gpu_to_before_it_was_assigned_then_assign_again(admin_page, ops_admin, screenshot):
    """The reported bug: the revert left the GPU free with its assignment open, and the next
    assign failed with a 500. Now the revert page says status and holder stay, and they do."""
    from inventory.services.gpu_assignment import assign_gpu, release_gpu

    page = admin_page
    gpu = GPUFactory(model="NVIDIA A100", description="spare")
    bob, carol = UserFactory(display_name="Bob"), UserFactory(display_name="Carol")
    assign_gpu(gpu.pk, bob.pk, by=ops_admin)

    page.goto(f"/admin/inventory/gpu/{gpu.pk}/history/")
    page.locator("#change-history tbody tr").last.locator("td").first.get_by_role("link").click()
    expect(page.locator("#content")).to_contain_text("Its status and who holds it stay as they are")
    screenshot(page, "revert")
    page.locator('input[type="submit"][value="Revert"]').first.click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id) == ("in_use", bob.pk)
    assert list(GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).values_list("user_id", flat=True)) == [bob.pk]

    release_gpu(gpu.pk, by=ops_admin)
    page.goto(f"/admin/inventory/gpu/{gpu.pk}/assign/")
    choose_autocomplete(page, "user", carol.username)
    page.locator('input[type="submit"], button[type="submit"]').last.click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id) == ("in_use", carol.pk)
