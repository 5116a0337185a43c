"""An operator gives a second container an external address another container publishes:
the admin refuses it on the row, naming the container that holds it (issue 16, point 5).

Leaves var/screenshots/<test name>[-step].png (see conftest.py).
"""
from playwright.sync_api import expect

from inventory.models import PortMapping
from tests.factories import ContainerFactory, DatacenterFactory, PortMappingFactory, ServerFactory

TAKEN = "External address 203.0.113.10:8080/tcp is already used by container nginx-01 on web-01 (AMS1)."


def test_a_taken_external_address_is_refused_on_the_inline_row_and_the_mapping_page(admin_page, ops_admin, screenshot):
    page = admin_page
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"), internal_ip="10.0.0.7")
    holder = ContainerFactory(server=server, name="nginx-01", owner=ops_admin)
    PortMappingFactory(container=holder, container_port=80, internal_port=8080, external_ip="203.0.113.10",
                       external_port=8080)
    other = ContainerFactory(server=server, name="api-01", owner=ops_admin)

    page.goto(f"/admin/inventory/container/{other.pk}/change/")
    page.locator("#port_mappings-group .add-row a").click()
    page.fill("#id_port_mappings-0-container_port", "80")
    page.fill("#id_port_mappings-0-internal_port", "8081")
    page.fill("#id_port_mappings-0-external_ip", "203.0.113.10")
    page.fill("#id_port_mappings-0-external_port", "8080")
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#port_mappings-group .errorlist")).to_contain_text(TAKEN)
    screenshot(page, "inline")
    assert not other.port_mappings.exists()

    page.goto("/admin/inventory/portmapping/add/")
    page.locator(".field-container .select2-selection").click()  # the container autocomplete
    page.locator(".select2-search__field").fill("api-01")
    page.locator(".select2-results__option", has_text="api-01").click()
    page.fill("#id_container_port", "80")
    page.fill("#id_internal_port", "8081")
    page.fill("#id_external_ip", "203.0.113.10")
    page.fill("#id_external_port", "8080")
    page.locator('input[name="_save"]').click()
    expect(page.locator(".field-external_port .errorlist")).to_have_text(TAKEN)
    screenshot(page, "mapping-page")
    assert PortMapping.objects.count() == 1

    page.goto("/admin/inventory/portmapping/?q=8080")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list td.field-container__server__datacenter")).to_have_text("AMS1")
