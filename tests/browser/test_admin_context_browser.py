"""Issue 16 in a real Chromium, on a fleet of three datacenters whose servers share names
(``api-01`` and ``web-01`` in each): labels with context, the tree, GPU actions on the GPU's
page, the assignment list, links between objects, and layout at 1440 px and 390 px.

Each test leaves var/screenshots/<test name>[-step].png (see conftest.py).
"""
import re

import pytest
from playwright.sync_api import expect

from audit.models import AuditLog
from inventory.models import GPU, Container, Server
from inventory.services.gpu_assignment import assign_gpu
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory, ServiceFactory, UserFactory,
)

from .test_admin_browser import choose_autocomplete

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fleet(ops_admin):
    """Three datacenters with ``api-01`` and ``web-01`` each; every server runs ``nginx-01``
    (service ``http``) and has an ``NVIDIA H100`` #0; alice holds the one on web-01 (AMS1)."""
    environment = EnvironmentFactory(code="prod")
    servers = {}
    for site in ("AMS1", "FRA1", "LON1"):
        datacenter = DatacenterFactory(name=site)
        for name in ("api-01", "web-01"):
            server = ServerFactory(name=name, datacenter=datacenter, environment=environment)
            container = ContainerFactory(name="nginx-01", server=server, owner=ops_admin)
            ServiceFactory(name="http", container=container, owner=ops_admin)
            GPUFactory(server=server, index=0, model="NVIDIA H100")
            servers[site, name] = server
    alice = UserFactory(username="alice", display_name="Alice Chen")
    assign_gpu(servers["AMS1", "web-01"].gpus.get().pk, alice.pk, by=ops_admin)
    return {"servers": servers, "alice": alice}


def fits_viewport(page):
    """The page itself does not scroll sideways (wide tables scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_pickers_and_lists_name_servers_with_their_datacenter(admin_page, fleet, screenshot):
    page = admin_page
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/inventory/container/add/")
    page.locator("#id_server + .select2").click()
    page.locator(".select2-search__field").fill("api-01")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text(["api-01 (AMS1)", "api-01 (FRA1)", "api-01 (LON1)"])
    screenshot(page, "server-picker")
    options.filter(has_text="api-01 (FRA1)").click()
    page.fill("#id_name", "redis-01")
    page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist .success")).to_contain_text("redis-01 on api-01 (FRA1)")
    assert Container.objects.get(name="redis-01").server == fleet["servers"]["FRA1", "api-01"]

    page.goto("/admin/inventory/service/add/")
    page.locator("#id_container + .select2").click()
    page.locator(".select2-search__field").fill("LON1")
    expect(page.locator(".select2-results__option")).to_have_text(
        ["nginx-01 on api-01 (LON1)", "nginx-01 on web-01 (LON1)"])
    page.keyboard.press("Escape")

    page.goto("/admin/inventory/server/")
    expect(page.locator("h1")).to_have_text("Servers")
    expect(page.locator("#result_list tbody th")).to_have_text(["api-01", "web-01"] * 3)
    expect(page.locator("#result_list tbody td.field-datacenter")).to_have_text(
        ["AMS1", "AMS1", "FRA1", "FRA1", "LON1", "LON1"])
    screenshot(page, "server-list")
    page.goto("/admin/inventory/gpu/")
    expect(page.locator("h1")).to_have_text("GPUs")
    expect(page.locator("#result_list tbody td.field-server").first).to_have_text("api-01 (AMS1)")
    page.locator("#result_list tbody td.field-server").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/admin/inventory/server/{fleet['servers']['AMS1', 'api-01'].pk}/change/$"))


def test_the_tree_counts_whole_datacenters_and_loads_one_when_opened(admin_page, fleet, screenshot):
    page = admin_page
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/tree/")
    datacenters = page.locator("#server-tree > details")
    expect(datacenters).to_have_count(3)
    expect(datacenters.locator("> summary")).to_contain_text(["AMS1", "FRA1", "LON1"])
    expect(datacenters.first.locator("a.itam-count")).to_have_text("2 servers")
    fra = page.locator(f'[data-datacenter="{fleet["servers"]["FRA1", "api-01"].datacenter_id}"]')
    expect(fra.locator(".itam-server")).to_have_count(0)  # not loaded until opened
    fra.locator("> summary").click()
    expect(fra.locator(".itam-server > summary")).to_contain_text(["api-01", "web-01"])
    fra.locator(".itam-server").first.locator("> summary").click()
    expect(fra.locator(".itam-container").first).to_contain_text("nginx-01")
    screenshot(page, "opened")
    page.get_by_role("link", name="Expand all").click()
    expect(page.locator(".itam-server")).to_have_count(6)  # every datacenter loaded
    web = page.locator(f'[data-server="{fleet["servers"]["AMS1", "web-01"].pk}"]')
    web.locator("> summary").click()
    expect(web.get_by_text("held by Alice Chen")).to_be_visible()


def test_assign_and_release_on_the_gpu_page(admin_page, fleet, screenshot):
    page = admin_page
    page.set_viewport_size(DESKTOP)
    gpu = fleet["servers"]["LON1", "api-01"].gpus.get()
    UserFactory(username="bob", display_name="Bob Martin")

    page.goto(f"/admin/inventory/gpu/{gpu.pk}/change/")
    expect(page.locator("h2", has_text="NVIDIA H100 #0 on api-01 (LON1)")).to_be_visible()
    expect(page.locator("#id_status option")).to_have_text(["Free", "Error"])  # in use comes by assigning
    expect(page.locator(".object-tools")).not_to_contain_text("Release…")
    screenshot(page, "free")
    page.locator(".object-tools").get_by_role("link", name="Assign…").click()
    expect(page.locator("h1")).to_have_text("Assign GPU")
    choose_autocomplete(page, "user", "bob")
    screenshot(page, "assign")
    page.locator('input[type="submit"][value="Assign"]').click()

    expect(page).to_have_url(re.compile(rf"/admin/inventory/gpu/{gpu.pk}/change/$"))
    expect(page.locator(".messagelist .success")).to_have_text(
        "GPU assigned to Bob Martin: NVIDIA H100 #0 on api-01 (LON1).")
    expect(page.locator("#id_status")).to_have_count(0)  # read-only while held
    expect(page.locator(".field-status .readonly")).to_have_text("In use")
    expect(page.locator(".field-holder .readonly")).to_have_text("Bob Martin")
    screenshot(page, "held")
    page.locator(".object-tools").get_by_role("link", name="Release…").click()
    page.locator('input[type="submit"][value="Release"]').click()
    expect(page.locator(".messagelist .success")).to_have_text("GPU released: NVIDIA H100 #0 on api-01 (LON1).")
    expect(page.locator(".object-tools").get_by_role("link", name="Assign…")).to_be_visible()
    assert GPU.objects.get(pk=gpu.pk).status == "free"

    page.locator(".object-tools").get_by_role("link", name="History").click()
    changes = page.locator("#change-history tbody tr").first
    expect(changes).to_contain_text("Status: In use → Free")
    expect(changes).to_contain_text("Assigned to: Bob Martin → —")


def test_the_assignment_list_answers_who_holds_what_now(admin_page, fleet, ops_admin, screenshot):
    from inventory.services.gpu_assignment import release_gpu

    page = admin_page
    page.set_viewport_size(DESKTOP)
    released = fleet["servers"]["FRA1", "web-01"].gpus.get()
    assign_gpu(released.pk, fleet["alice"].pk, by=ops_admin, purpose="benchmarks for the new model")
    release_gpu(released.pk, by=ops_admin)

    page.goto("/admin/inventory/gpuassignment/")
    expect(page.locator("h1")).to_have_text("GPU assignments")
    page.locator("#changelist-filter").get_by_role("link", name="Open").click()
    expect(page).to_have_url(re.compile(r"\?state=open$"))
    expect(page.locator("#result_list tbody td.field-gpu")).to_have_text(["NVIDIA H100 #0 on web-01 (AMS1)"])
    page.locator("#changelist-filter").get_by_role("link", name="Released").click()
    expect(page.locator("#result_list tbody td.field-gpu")).to_have_text(["NVIDIA H100 #0 on web-01 (FRA1)"])
    page.locator("#changelist-filter").get_by_role("link", name="All").first.click()
    # Every column fits at 1440 px: the table's box is as wide as the table.
    assert page.evaluate("(() => { const r = document.querySelector('#changelist .results');"
                         " return r.scrollWidth <= r.clientWidth; })()")
    assert fits_viewport(page)
    screenshot(page, "all")
    page.locator("#result_list tbody td.field-gpu").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/inventory/gpu/\d+/change/$"))


def test_links_between_related_objects(admin_page, fleet, screenshot):
    page = admin_page
    page.set_viewport_size(DESKTOP)
    server = fleet["servers"]["AMS1", "web-01"]
    container = server.containers.get()

    page.goto(f"/admin/inventory/container/{container.pk}/change/")
    assert fits_viewport(page)
    screenshot(page, "container")
    page.locator(".field-service_links").get_by_role("link", name="http").click()
    expect(page.locator("h2", has_text="http in nginx-01 on web-01 (AMS1)")).to_be_visible()

    page.goto(f"/admin/accounts/user/{fleet['alice'].pk}/change/")
    held = page.locator(".field-held_gpus")
    expect(held).to_contain_text("NVIDIA H100 #0 on web-01 (AMS1)")
    screenshot(page, "user")
    held.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/admin/inventory/gpu/{server.gpus.get().pk}/change/$"))

    page.goto("/admin/")
    page.locator('#gpus-by-status [data-status="in_use"]').click()
    expect(page).to_have_url(re.compile(r"/admin/inventory/gpu/\?status__exact=in_use$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto("/admin/")
    page.locator("#datacenters tbody tr").first.locator("td").nth(2).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/inventory/container/\?server__datacenter__id__exact=\d+$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(2)

    server.responsible_person = "Grace"
    server.save()
    page.goto("/admin/audit/auditlog/?resource_type__exact=server")
    entry = page.locator("#result_list tbody tr").first.locator("td.field-object_link")
    expect(entry).to_contain_text("web-01 (AMS1)")
    entry.get_by_role("link", name="history").click()
    expect(page).to_have_url(re.compile(rf"/admin/inventory/server/{server.pk}/history/$"))
    expect(page.locator("#change-history")).to_contain_text("Grace")
    assert AuditLog.objects.filter(resource_type="server", resource_id=server.pk).exists()


@pytest.mark.parametrize("path", ["/admin/", "/admin/inventory/server/", "/admin/inventory/gpu/",
                                  "/admin/inventory/gpuassignment/", "/admin/tree/", "/admin/audit/auditlog/"])
def test_pages_fit_a_phone(admin_page, fleet, screenshot, path):
    page = admin_page
    page.set_viewport_size(PHONE)
    page.goto(path)
    expect(page.locator("h1")).to_be_visible()
    assert fits_viewport(page), page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "phone")


def test_words_and_favicon(admin_page, fleet):
    page = admin_page
    page.goto("/admin/")
    expect(page.locator("#content-main")).to_contain_text("GPUs")
    expect(page.locator("#content-main")).not_to_contain_text("Gpus")
    page.goto("/admin/audit/auditlog/")
    headers = page.locator("#result_list thead th")
    expect(headers.filter(has_text="IP address")).to_have_count(1)
    expect(headers.filter(has_text="Request ID")).to_have_count(1)
    expect(headers.filter(has_text="Resource ID")).to_have_count(1)
    response = page.request.get("/favicon.ico")
    assert (response.status, response.headers["content-type"]) == (200, "image/svg+xml")
    page.goto(f"/admin/inventory/server/{Server.objects.first().pk}/history/")
    expect(page.locator("#change-history")).not_to_contain_text("None")
